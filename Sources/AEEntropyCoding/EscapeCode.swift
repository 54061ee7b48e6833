/// How a value becomes a table symbol and, for a value outside the table's direct range, the escape
/// symbol followed by bypass symbols (raw bits coded at probability 1/2 each).
///
/// An escaped value is first folded to an unsigned distance u: `2 * (v - hi)` above the range
/// (hi = the first value above it) and `2 * (lo - v) - 1` below it (lo = `offset`), so the nearest
/// outside values cost least. Then m = u + 1 (at most 2^33 - 1) is sent Elias-gamma style: k = its bit
/// length - 1 as k one-bits and a zero-bit, then m's low k bits, least significant first, in chunks
/// of at most 16 bits.
enum EscapeCode {
    /// The most a valid escape's k can be: u < 2^33 - 1 for any Int32 value and table.
    static let maxLengthBits = 32

    /// The coding steps for `value` under `table`, in decoding order.
    static func steps(for value: Int32, in table: CDFTable, into steps: inout [CodingStep]) {
        let v = Int64(value), range = table.directRange
        if range.contains(v) {
            let s = Int(v - range.lowerBound)
            steps.append(CodingStep(start: table.cdf[s], frequency: table.frequency(of: s), bits: RANS.precision))
            return
        }
        let escape = table.escapeSymbol
        steps.append(CodingStep(start: table.cdf[escape], frequency: table.frequency(of: escape), bits: RANS.precision))
        let u: UInt64 = v >= range.upperBound ? UInt64(2 * (v - range.upperBound)) : UInt64(2 * (range.lowerBound - v) - 1)
        let m = u + 1
        let k = 63 - m.leadingZeroBitCount
        for _ in 0 ..< k { steps.append(bypass(1, bits: 1)) }
        steps.append(bypass(0, bits: 1))
        var done = 0
        while done < k {
            let width = min(k - done, Int(RANS.maxBypassBits))
            steps.append(bypass(UInt32((m >> UInt64(done)) & ((1 << UInt64(width)) - 1)), bits: UInt32(width)))
            done += width
        }
    }

    /// The value an escape stands for, given a reader of bypass symbols (`readBits(w)` returns w raw bits).
    static func value(in table: CDFTable, readBits: (UInt32) throws -> UInt32) throws -> Int32 {
        var k = 0
        while try readBits(1) == 1 {
            k += 1
            guard k <= maxLengthBits else {
                throw EntropyCodingError.invalidEscape(reason: "Elias-gamma prefix longer than \(maxLengthBits) bits")
            }
        }
        var m: UInt64 = 1 << UInt64(k)
        var done = 0
        while done < k {
            let width = min(k - done, Int(RANS.maxBypassBits))
            m |= UInt64(try readBits(UInt32(width))) << UInt64(done)
            done += width
        }
        let u = Int64(m - 1), range = table.directRange
        let v = u % 2 == 0 ? range.upperBound + u / 2 : range.lowerBound - (u + 1) / 2
        guard let value = Int32(exactly: v) else {
            throw EntropyCodingError.invalidEscape(reason: "escaped value \(v) is outside Int32")
        }
        return value
    }

    private static func bypass(_ value: UInt32, bits: UInt32) -> CodingStep {
        CodingStep(start: value, frequency: 1, bits: bits)
    }
}
