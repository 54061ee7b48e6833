import CZlib

/// CRC-32 (ISO-HDLC / zlib / PNG polynomial 0xEDB88320, reflected, initial and
/// final XOR 0xFFFFFFFF), computed by zlib's `crc32`.
public enum CRC32 {
    /// The CRC-32 of `bytes`, continuing from `initial` (0 for a fresh checksum).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = UInt(initial)
        var offset = 0
        // zlib takes a 32-bit length; feed large buffers in 1 GiB pieces.
        while offset < bytes.count {
            let n = min(bytes.count - offset, 1 << 30)
            crc = crc32(crc, bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(n))
            offset += n
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    public static func checksum(_ bytes: [UInt8], initial: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, initial: initial) }
    }
}
