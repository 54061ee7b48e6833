extension CDFTable {
    /// Quantises a probability mass function to a table: `pmf[i]` is the probability of the value
    /// `offset + i`, `tailMass` that of every value outside the range together (the escape).
    ///
    /// This is the only floating-point step, run once when a model is written; the resulting integers
    /// are what gets stored. Each symbol gets 1 plus its share of the remaining 65,536 - n counts,
    /// rounded down; the counts left over go to the largest remainders (ties: lower symbol first), so
    /// every frequency is at least 1 and they sum to exactly 65,536. The masses need not sum to 1.
    ///
    /// Throws `invalidPMF` for an empty or over-long pmf (more than 65,535 values), a negative or
    /// non-finite mass, or masses that sum to 0.
    public init(quantizing pmf: [Double], tailMass: Double, offset: Int32) throws {
        let masses = pmf + [tailMass]
        let n = masses.count
        guard n >= 2, n <= Int(CDFTable.total) else {
            throw EntropyCodingError.invalidPMF(reason: "\(pmf.count) values; a pmf needs 1 to 65535")
        }
        if let bad = masses.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
            throw EntropyCodingError.invalidPMF(reason: "mass \(masses[bad]) at symbol \(bad)")
        }
        let sum = masses.reduce(0, +)
        guard sum > 0, sum.isFinite else { throw EntropyCodingError.invalidPMF(reason: "the masses sum to \(sum)") }

        let spare = Double(Int(CDFTable.total) - n)
        let shares = masses.map { $0 / sum * spare }
        var frequencies = shares.map { 1 + Int(min($0.rounded(.down), spare)) }
        var left = Int(CDFTable.total) - frequencies.reduce(0, +)
        // Rounding of the shares can leave a few counts either way; settle them deterministically.
        let byRemainder = (0 ..< n).sorted { a, b in
            let ra = shares[a] - shares[a].rounded(.down), rb = shares[b] - shares[b].rounded(.down)
            return ra != rb ? ra > rb : a < b
        }
        var next = 0
        while left > 0 {
            frequencies[byRemainder[next % n]] += 1
            left -= 1
            next += 1
        }
        while left < 0 {
            let largest = frequencies.indices.max { frequencies[$0] < frequencies[$1] }!
            frequencies[largest] -= 1  // largest >= 2 here: n <= 65536 symbols share 65536 + |left| counts
            left += 1
        }

        var cdf = [UInt32](repeating: 0, count: n + 1)
        for s in 0 ..< n { cdf[s + 1] = cdf[s] + UInt32(frequencies[s]) }
        try self.init(cdf: cdf, offset: offset)
    }
}
