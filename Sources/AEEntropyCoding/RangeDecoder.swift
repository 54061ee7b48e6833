/// Decodes the values a `RangeEncoder` coded, given the same tables and the same table for each
/// value (Specs/range-coder.md). Integer arithmetic only: the same bytes decode to the same values
/// on every machine.
///
/// Damaged input never traps or loops: each value reads at most a few bytes per coding step, and
/// reading past the end throws `readPastEnd`. Call `finish()` after the last value to check that the
/// stream ended exactly where the encoder ended it.
public struct RangeDecoder: Sendable {
    /// The tables values are decoded under, by index.
    public let tables: [CDFTable]
    private let bytes: [UInt8]
    private var position = 0
    private var x: UInt32 = 0

    /// A decoder of `bytes` over `tables`; reads the 4-byte initial state (big-endian), throwing
    /// `readPastEnd` for a shorter stream and `invalidInitialState` for a state below 2^23.
    public init(bytes: [UInt8], tables: [CDFTable]) throws {
        self.tables = tables
        self.bytes = bytes
        for _ in 0 ..< 4 { x = (x << 8) | UInt32(try nextByte()) }
        guard x >= RANS.lowerBound else { throw EntropyCodingError.invalidInitialState(x) }
    }

    /// The next value, coded under `tables[table]`.
    public mutating func decode(table: Int) throws -> Int32 {
        precondition(tables.indices.contains(table), "table index \(table) out of 0..<\(tables.count)")
        let chosen = tables[table]
        let symbol = chosen.symbol(containing: x & (CDFTable.total - 1))
        try advance(CodingStep(start: chosen.cdf[symbol], frequency: chosen.frequency(of: symbol), bits: RANS.precision))
        if symbol != chosen.escapeSymbol { return chosen.offset + Int32(symbol) }
        return try EscapeCode.value(in: chosen) { bits in
            let raw = x & ((1 << bits) - 1)
            try advance(CodingStep(start: raw, frequency: 1, bits: bits))
            return raw
        }
    }

    /// Checks that the stream is used up and the state is back at the encoder's start (2^23);
    /// throws `invalidEnd` otherwise (a damaged stream, or other tables or value counts).
    public func finish() throws {
        guard x == RANS.lowerBound, position == bytes.count else {
            throw EntropyCodingError.invalidEnd(state: x, unreadBytes: bytes.count - position)
        }
    }

    /// One value per entry of `tableIndexes`, value `i` under `tables[tableIndexes[i]]`; checks the end with `finish()`.
    public static func decode(_ bytes: [UInt8], tableIndexes: [Int], tables: [CDFTable]) throws -> [Int32] {
        var decoder = try RangeDecoder(bytes: bytes, tables: tables)
        var values: [Int32] = []
        values.reserveCapacity(tableIndexes.count)
        for table in tableIndexes { values.append(try decoder.decode(table: table)) }
        try decoder.finish()
        return values
    }

    /// Removes `step` from the state, then reads bytes until the state is at least 2^23 again.
    /// x >= 2^23 on entry, so x >> bits >= 2^7 and the result is at least 128: at most 2 bytes are read.
    private mutating func advance(_ step: CodingStep) throws {
        let slot = x & ((1 << step.bits) - 1)
        x = step.frequency * (x >> step.bits) + slot - step.start
        while x < RANS.lowerBound { x = (x << 8) | UInt32(try nextByte()) }
    }

    private mutating func nextByte() throws -> UInt8 {
        guard position < bytes.count else { throw EntropyCodingError.readPastEnd(position: position) }
        defer { position += 1 }
        return bytes[position]
    }
}
