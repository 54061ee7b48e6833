@testable import AEEntropyCoding
import AETestSupport
import Foundation

/// splitmix64: reproducible pseudo-random numbers for the tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum EntropyTestSupport {
    static let repositoryRoot = URL(fileURLWithPath: TestFixtures.repositoryRoot)

    /// A random table: a discretised Laplace of random centre and scale (like a learned prior),
    /// a random jagged pmf, or a table with extreme frequencies (1 next to 65,000).
    static func randomTable(_ rng: inout SplitMix64) -> CDFTable {
        let offset = Int32.random(in: -40 ... 40, using: &rng)
        switch Int.random(in: 0 ..< 3, using: &rng) {
        case 0:
            let count = Int.random(in: 1 ... 40, using: &rng)
            let centre = Double.random(in: 0 ..< Double(count), using: &rng)
            let scale = Double.random(in: 0.05 ... 8, using: &rng)
            let pmf = (0 ..< count).map { exp(-abs(Double($0) - centre) / scale) }
            let tail = pmf.reduce(0, +) * Double.random(in: 1e-9 ... 0.05, using: &rng)
            return try! CDFTable(quantizing: pmf, tailMass: tail, offset: offset)
        case 1:
            let count = Int.random(in: 1 ... 300, using: &rng)
            let pmf = (0 ..< count).map { _ in Double.random(in: 0 ... 1, using: &rng) }
            return try! CDFTable(quantizing: pmf, tailMass: Double.random(in: 0 ... 0.1, using: &rng), offset: offset)
        default:
            let count = Int.random(in: 2 ... 6, using: &rng)  // symbols, escape included
            var frequencies = [UInt32](repeating: 1, count: count)
            frequencies[Int.random(in: 0 ..< count, using: &rng)] = CDFTable.total - UInt32(count - 1)
            return try! table(frequencies: frequencies, offset: offset)
        }
    }

    static func table(frequencies: [UInt32], offset: Int32) throws -> CDFTable {
        var cdf: [UInt32] = [0]
        for f in frequencies { cdf.append(cdf.last! + f) }
        return try CDFTable(cdf: cdf, offset: offset)
    }

    /// A value drawn from `table`'s own distribution; an escape becomes a random outside value,
    /// near the range or anywhere in Int32 (the extremes included).
    static func sample(_ table: CDFTable, _ rng: inout SplitMix64) -> Int32 {
        let symbol = table.symbol(containing: UInt32.random(in: 0 ..< CDFTable.total, using: &rng))
        if symbol != table.escapeSymbol { return table.offset + Int32(symbol) }
        return outsideValue(table, &rng)
    }

    static func outsideValue(_ table: CDFTable, _ rng: inout SplitMix64) -> Int32 {
        let range = table.directRange
        while true {
            let candidate: Int64
            switch Int.random(in: 0 ..< 5, using: &rng) {
            case 0: candidate = Int64(Int32.max)
            case 1: candidate = Int64(Int32.min)
            case 2: candidate = Int64(Int32.random(in: .min ... .max, using: &rng))
            case 3: candidate = range.upperBound + Int64.random(in: 0 ..< 20, using: &rng)
            default: candidate = range.lowerBound - Int64.random(in: 1 ... 20, using: &rng)
            }
            if !range.contains(candidate), let value = Int32(exactly: candidate) { return value }
        }
    }

    /// The ideal code length of `value` under `table` in bits: -log2 of its quantised probability,
    /// plus for an escape the bypass bits (2k + 1 for an Elias-gamma code of k + 1 bits).
    static func idealBits(_ value: Int32, _ table: CDFTable) -> Double {
        let range = table.directRange, v = Int64(value)
        let symbol = range.contains(v) ? Int(v - range.lowerBound) : table.escapeSymbol
        let bits = -log2(Double(table.frequency(of: symbol)) / Double(CDFTable.total))
        if range.contains(v) { return bits }
        let u = v >= range.upperBound ? 2 * (v - range.upperBound) : 2 * (range.lowerBound - v) - 1
        let k = 63 - UInt64(u + 1).leadingZeroBitCount
        return bits + Double(2 * k + 1)
    }
}
