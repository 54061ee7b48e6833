/// Codes Int32 values, each under a table of its own choosing, into bytes (Specs/range-coder.md).
///
/// rANS decodes in the reverse order of encoding, so the encoder records the values and codes them
/// backwards in `finish()`: the decoder then reads them in the order they were given here.
///
///     var encoder = RangeEncoder(tables: tables)
///     for (value, table) in zip(values, tableIndexes) { encoder.encode(value, table: table) }
///     let bytes = encoder.finish()
public struct RangeEncoder: Sendable {
    /// The tables values are coded under, by index.
    public let tables: [CDFTable]
    private var steps: [CodingStep] = []

    /// An encoder over `tables`; the decoder must be given the same tables.
    public init(tables: [CDFTable]) {
        self.tables = tables
    }

    /// Appends `value` under `tables[table]`: its symbol, or the escape and its bypass bits when the
    /// value lies outside the table's direct range. Any Int32 can be coded under any table.
    public mutating func encode(_ value: Int32, table: Int) {
        precondition(tables.indices.contains(table), "table index \(table) out of 0..<\(tables.count)")
        EscapeCode.steps(for: value, in: tables[table], into: &steps)
    }

    /// The coded bytes of every value appended so far (4 bytes for none). The encoder can go on
    /// appending; a later `finish()` codes everything again.
    public func finish() -> [UInt8] {
        var reversed: [UInt8] = []  // bytes in the order produced: the stream backwards
        reversed.reserveCapacity(steps.count + 4)
        var x = RANS.lowerBound
        for step in steps.reversed() {
            // Shift out low bytes until coding the step lands x in [2^23, 2^31):
            // x must be below (L >> bits << 8) * frequency = frequency << (31 - bits).
            let limit = step.frequency << (31 - step.bits)
            while x >= limit {
                reversed.append(UInt8(truncatingIfNeeded: x))
                x >>= 8
            }
            x = ((x / step.frequency) << step.bits) + (x % step.frequency) + step.start
        }
        for _ in 0 ..< 4 {
            reversed.append(UInt8(truncatingIfNeeded: x))
            x >>= 8
        }
        return reversed.reversed()
    }

    /// The bytes for `values`, value `i` coded under `tables[tableIndexes[i]]`.
    public static func encode(_ values: [Int32], tableIndexes: [Int], tables: [CDFTable]) -> [UInt8] {
        precondition(values.count == tableIndexes.count, "\(values.count) values but \(tableIndexes.count) table indexes")
        var encoder = RangeEncoder(tables: tables)
        for (value, table) in zip(values, tableIndexes) { encoder.encode(value, table: table) }
        return encoder.finish()
    }
}
