import AEEntropyCoding
import AEFormats
import AENet

extension EntropyTables {
    /// The tables of `prior`'s current density and quantiles (`probabilityTables`).
    public init(prior: FactorizedPrior) throws {
        let channels = prior.probabilityTables()
        self.init(tables: try channels.map(Self.quantize), medians: channels.map(\.median))
    }

    /// A hyperprior's tables: its factorized prior's (over z), then one per scale of its
    /// Gaussian conditional's table.
    public init(hyperprior: Hyperprior) throws {
        let channels = hyperprior.prior.probabilityTables() + hyperprior.conditional.probabilityTables()
        self.init(tables: try channels.map(Self.quantize), medians: channels.map(\.median),
                  scales: hyperprior.conditional.scaleTable)
    }

    private static func quantize(_ t: FactorizedPriorTable) throws -> CDFTable {
        try CDFTable(quantizing: t.pmf, tailMass: t.tailMass, offset: t.minimum)
    }
}
