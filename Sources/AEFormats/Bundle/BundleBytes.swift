/// Little-endian integer reading and writing on byte arrays, for the bundle container.
/// Readers check bounds before calling these.
enum BundleBytes {
    static func u16(_ b: [UInt8], _ at: Int) -> UInt16 {
        UInt16(b[at]) | UInt16(b[at + 1]) << 8
    }

    static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(b[at + i]) << (8 * UInt32(i)) }
        return v
    }

    static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[at + i]) << (8 * UInt64(i)) }
        return v
    }

    static func put<T: FixedWidthInteger>(_ value: T, into b: inout [UInt8], at: Int) {
        for i in 0..<(T.bitWidth / 8) { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to b: inout [UInt8]) {
        for i in 0..<(T.bitWidth / 8) { b.append(UInt8(truncatingIfNeeded: value >> (8 * i))) }
    }

    /// `value` rounded up to a multiple of `alignment`.
    static func align(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }
}
