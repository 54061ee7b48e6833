import CZlib

/// zlib for building test files, independent of the library's reader and writer.
public enum TestZlib {
    /// A zlib stream of `data` at zlib's default level.
    public static func compress(_ data: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(data.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = compress2(&out, &length, data, uLong(data.count), Z_DEFAULT_COMPRESSION)
        precondition(status == Z_OK, "compress2 failed (\(status))")
        return Array(out.prefix(Int(length)))
    }

    public static func crc32(_ data: [UInt8]) -> UInt32 {
        UInt32(CZlib.crc32(0, data, uInt(data.count)))
    }
}
