/// An integer cumulative distribution over the symbols 0..<symbolCount, with 16-bit precision.
///
/// Symbol `i < symbolCount - 1` stands for the value `offset + i`; the last symbol is the
/// escape, which codes every value outside that range (see `EscapeCode`). Every symbol has a
/// frequency of at least 1, so every value can be coded. The table is plain integers: built once
/// (`init(quantizing:tailMass:offset:)`) and stored, so encoder and decoder use identical numbers.
public struct CDFTable: Equatable, Sendable {
    /// The total of every table's frequencies: 2^16.
    public static let total: UInt32 = 1 << RANS.precision

    /// Cumulative frequencies: `cdf[0] == 0`, strictly increasing, `cdf.last == 65536`;
    /// symbol `s` has the interval `cdf[s] ..< cdf[s + 1]`.
    public let cdf: [UInt32]
    /// The value of symbol 0.
    public let offset: Int32

    /// Symbols in the table, the escape included (`cdf.count - 1`).
    public var symbolCount: Int { cdf.count - 1 }
    /// The escape symbol: the last one.
    public var escapeSymbol: Int { cdf.count - 2 }
    /// The values coded directly: `offset ..< offset + symbolCount - 1` (empty for an escape-only table).
    public var directRange: Range<Int64> { Int64(offset) ..< Int64(offset) + Int64(escapeSymbol) }

    /// A table from its cumulative frequencies; throws `invalidTable` unless `cdf` has 2 to 65,537
    /// entries, starts at 0, strictly increases, ends at 65,536, and the direct values fit in Int32.
    public init(cdf: [UInt32], offset: Int32) throws {
        guard cdf.count >= 2, cdf.count <= Int(CDFTable.total) + 1 else {
            throw EntropyCodingError.invalidTable(reason: "\(cdf.count) CDF entries; a table needs 2 to 65537")
        }
        guard cdf[0] == 0 else { throw EntropyCodingError.invalidTable(reason: "cdf[0] is \(cdf[0]), not 0") }
        guard cdf[cdf.count - 1] == CDFTable.total else {
            throw EntropyCodingError.invalidTable(reason: "the last CDF entry is \(cdf[cdf.count - 1]), not 65536")
        }
        for s in 0 ..< cdf.count - 1 where cdf[s + 1] <= cdf[s] {
            throw EntropyCodingError.invalidTable(reason: "symbol \(s) has frequency 0 or less")
        }
        guard Int64(offset) + Int64(cdf.count - 3) <= Int64(Int32.max) else {
            throw EntropyCodingError.invalidTable(reason: "values offset + symbol pass Int32.max")
        }
        self.cdf = cdf
        self.offset = offset
    }

    /// The frequency of `symbol` (out of 65,536).
    public func frequency(of symbol: Int) -> UInt32 { cdf[symbol + 1] - cdf[symbol] }

    /// The symbol whose interval holds `slot` (0 ..< 65536): a binary search, integers only.
    func symbol(containing slot: UInt32) -> Int {
        var low = 0, high = cdf.count - 1  // cdf[low] <= slot < cdf[high]
        while high - low > 1 {
            let middle = (low + high) / 2
            if cdf[middle] <= slot { low = middle } else { high = middle }
        }
        return low
    }
}
