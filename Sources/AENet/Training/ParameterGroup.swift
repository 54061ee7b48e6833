/// Parameters updated by one optimizer. A trainer steps every group after each
/// batch; the model's weights are one group, and models with auxiliary parameters
/// (an entropy model's quantiles, say) add a group with an Adam of their own.
public struct ParameterGroup {
    public let name: String
    public let optimizer: Adam
    /// Whether the trainer's learning-rate schedule sets this group's rate each
    /// epoch; otherwise the optimizer keeps the rate it was made with.
    public let followsSchedule: Bool

    public init(name: String, optimizer: Adam, followsSchedule: Bool = true) {
        self.name = name
        self.optimizer = optimizer
        self.followsSchedule = followsSchedule
    }

    public var parameters: [Parameter] { optimizer.parameters }
}
