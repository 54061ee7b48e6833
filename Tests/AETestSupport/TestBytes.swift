/// Reading and patching little-endian fields of file bytes, for tests that hand-craft
/// damaged or lying files.
public enum TestBytes {
    public static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    public static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    public static func put<T: FixedWidthInteger>(_ value: T, _ b: inout [UInt8], at: Int) {
        for i in 0..<(T.bitWidth / 8) { b[at + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Recomputes a model bundle's section CRCs and header CRC (Specs/model-bundle.md)
    /// after a test patched its bytes.
    public static func refreshBundleChecksums(_ b: inout [UInt8]) {
        let headerLength = Int(u32(b, 12))
        for (offsetAt, lengthAt, crcAt) in [(24, 32, 80), (40, 48, 84), (56, 64, 88)] {
            let offset = Int(u64(b, offsetAt)), length = Int(u64(b, lengthAt))
            guard offset + length <= b.count else { continue }
            put(TestZlib.crc32(Array(b[offset..<(offset + length)])), &b, at: crcAt)
        }
        put(TestZlib.crc32(Array(b[0..<(headerLength - 4)])), &b, at: headerLength - 4)
    }
}
