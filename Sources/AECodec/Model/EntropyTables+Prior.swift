import AEEntropyCoding
import AEFormats
import AENet

extension EntropyTables {
    /// The tables of `prior`'s current density and quantiles (`probabilityTables`).
    public init(prior: FactorizedPrior) throws {
        let channels = prior.probabilityTables()
        self.init(tables: try channels.map { try CDFTable(quantizing: $0.pmf, tailMass: $0.tailMass, offset: $0.minimum) },
                  medians: channels.map(\.median))
    }
}
