import AENet
import Foundation

/// A run whose loss blows up (a step too large for the model: GDN's parameters thrown out
/// of range, say) must not overwrite its last good checkpoint with the wreck. An epoch
/// whose loss is not finite, or over `factor` times the best earlier epoch's, stops the
/// run before its checkpoint is written, so the checkpoint keeps the epoch before.
enum TrainingDivergence {
    static let factor = 10.0

    /// Why the last epoch of `history` diverged, or nil when it did not. The validation
    /// loss is compared when the epochs have one, else the training loss.
    static func reason(_ history: [EpochRecord]) -> String? {
        guard let last = history.last else { return nil }
        let earlier = history.dropLast()
        func check(_ name: String, _ value: Double?, _ previous: [Double]) -> String? {
            guard let value else { return nil }
            if !value.isFinite { return "its \(name) is \(value)" }
            if let best = previous.filter({ $0.isFinite && $0 > 0 }).min(), value > factor * best {
                return "its \(name) " + String(format: "%g", value) + " is over \(Int(factor)) times the best earlier epoch's ("
                    + String(format: "%g", best) + ")"
            }
            return nil
        }
        return check("validation loss", last.validationLoss, earlier.compactMap(\.validationLoss))
            ?? check("training loss", last.trainLoss, earlier.map(\.trainLoss))
    }
}
