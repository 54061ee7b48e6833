import CZlib

/// Why a zlib stream could not be decompressed.
public enum ZlibError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The stream would decompress to more than `limit` bytes (a corrupt size or a zip bomb).
    case outputTooLarge(limit: Int)
    /// The input ended before the end of the compressed stream.
    case truncated(producedBytes: Int)
    /// The stream is not valid zlib data (zlib's own message).
    case corrupt(String)
    /// The stream decompressed completely, but not to the size the caller expected.
    case sizeMismatch(expected: Int, actual: Int)
    /// Bytes follow the end of the compressed stream.
    case trailingData(bytes: Int)

    public var description: String {
        switch self {
        case .outputTooLarge(let limit):
            return "zlib stream decompresses to more than the allowed \(limit) bytes"
        case .truncated(let produced):
            return "zlib stream is truncated (input ended after \(produced) decompressed bytes)"
        case .corrupt(let message):
            return "zlib stream is corrupt (\(message))"
        case .sizeMismatch(let expected, let actual):
            return "zlib stream decompressed to \(actual) bytes, expected \(expected)"
        case .trailingData(let bytes):
            return "\(bytes) unexpected bytes follow the end of the zlib stream"
        }
    }
}

/// A thin wrapper over the system zlib: one-shot compress and decompress of
/// zlib-format (RFC 1950) streams, and CRC-32.
///
/// `inflateInit`/`deflateInit` are C macros Swift cannot import, so the
/// underscore functions they expand to are called directly.
public enum Zlib {
    /// The largest expansion deflate can achieve (1032:1, plus header slack); a
    /// declared decompressed size above `compressedBytes * maxRatio + 64` is impossible.
    public static let maxRatio = 1032

    /// `data` compressed as a zlib stream. `level` is 0 (store) ... 9 (best); -1 is zlib's default (6).
    public static func compress(_ data: [UInt8], level: Int = -1) -> [UInt8] {
        precondition((-1...9).contains(level), "zlib level must be -1...9, got \(level)")
        var stream = z_stream()
        var status = deflateInit_(&stream, Int32(level), zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit failed (\(status))")
        defer { deflateEnd(&stream) }

        let bound = Int(deflateBound(&stream, uLong(data.count)))
        var output = [UInt8](repeating: 0, count: max(bound, 16))
        var produced = 0
        data.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                var remainingIn = input.count
                stream.next_out = out.baseAddress
                var remainingOut = out.count
                repeat {
                    let chunkIn = min(remainingIn, Int(UInt32.max / 2))
                    let chunkOut = min(remainingOut, Int(UInt32.max / 2))
                    stream.avail_in = uInt(chunkIn)
                    stream.avail_out = uInt(chunkOut)
                    let flush = chunkIn == remainingIn ? Z_FINISH : Z_NO_FLUSH
                    status = deflate(&stream, flush)
                    remainingIn -= chunkIn - Int(stream.avail_in)
                    remainingOut -= chunkOut - Int(stream.avail_out)
                } while status == Z_OK || (status == Z_BUF_ERROR && remainingOut > 0)
                produced = out.count - remainingOut
            }
        }
        precondition(status == Z_STREAM_END, "deflate failed (\(status))")
        output.removeLast(output.count - produced)
        return output
    }

    /// Decompresses a complete zlib stream.
    ///
    /// - Parameters:
    ///   - expectedSize: if given, the exact decompressed size (anything else throws
    ///     `sizeMismatch`); it is also the initial buffer size, capped by what `data`
    ///     could possibly expand to, so a lying size field never allocates much.
    ///   - maxSize: output beyond this many bytes throws `outputTooLarge`, checked while
    ///     inflating (zip-bomb safe).
    /// - Throws: `ZlibError`: truncated or corrupt streams, trailing bytes after the stream.
    public static func decompress(_ data: [UInt8], expectedSize: Int? = nil, maxSize: Int) throws -> [UInt8] {
        try data.withUnsafeBytes { raw in
            try inflate(raw, expectedSize: expectedSize, maxSize: maxSize, allowTrailingData: false).output
        }
    }

    /// CRC-32 (the zlib/PNG/gzip polynomial) of `data`, continuing from `initial`
    /// (pass a previous result to checksum data in pieces).
    public static func crc32(_ data: [UInt8], initial: UInt32 = 0) -> UInt32 {
        data.withUnsafeBytes { crc32(UnsafeRawBufferPointer($0), initial: initial) }
    }

    /// CRC-32 of raw bytes.
    public static func crc32(_ data: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = uLong(initial)
        guard var p = data.baseAddress?.assumingMemoryBound(to: Bytef.self) else { return initial }
        var remaining = data.count
        while remaining > 0 {
            let chunk = min(remaining, 1 << 30)
            crc = CZlib.crc32(crc, p, uInt(chunk))
            p += chunk
            remaining -= chunk
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    /// The first `count` bytes a zlib stream decompresses to (fewer if it is shorter),
    /// without decompressing the rest. Errors met before `count` bytes are produced throw.
    public static func decompressPrefix(_ data: UnsafeRawBufferPointer, count: Int) throws -> [UInt8] {
        try inflate(data, expectedSize: nil, maxSize: count, allowTrailingData: true, stopAtMax: true).output
    }

    /// The inflate loop behind `decompress`. Returns the output and the number of input
    /// bytes the stream occupied.
    public static func inflate(_ input: UnsafeRawBufferPointer, expectedSize: Int?, maxSize: Int,
                        allowTrailingData: Bool, stopAtMax: Bool = false) throws -> (output: [UInt8], consumed: Int) {
        precondition(maxSize >= 0)
        let possible = input.count.multipliedReportingOverflow(by: maxRatio)
        let ceiling = possible.overflow ? maxSize : min(maxSize, possible.partialValue + 64)
        if let expected = expectedSize {
            if expected > maxSize { throw ZlibError.outputTooLarge(limit: maxSize) }
            if expected > ceiling && !stopAtMax {
                throw ZlibError.corrupt("expected \(expected) bytes cannot come from \(input.count) compressed bytes")
            }
        }
        // `output` always keeps one spare byte beyond `capacity` so it is never empty.
        var capacity = min(ceiling, expectedSize ?? max(input.count * 4, 1 << 16))
        var output = [UInt8](repeating: 0, count: capacity + 1)

        var stream = z_stream()
        var status = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw ZlibError.corrupt("inflateInit failed (\(status))") }
        defer { inflateEnd(&stream) }

        guard let inBase = input.baseAddress?.assumingMemoryBound(to: Bytef.self) else {
            throw ZlibError.truncated(producedBytes: 0)
        }
        var consumed = 0
        var produced = 0
        var finished = false
        while !finished {
            if produced == capacity {
                if capacity >= ceiling {
                    if stopAtMax { break }
                    // Full at the limit: is there any more output?
                    var probe: UInt8 = 0
                    let more: Bool = withUnsafeMutablePointer(to: &probe) { p in
                        stream.next_out = p
                        stream.avail_out = 1
                        let chunk = min(input.count - consumed, Int(UInt32.max / 2))
                        stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                        stream.avail_in = uInt(chunk)
                        status = CZlib.inflate(&stream, Z_NO_FLUSH)
                        consumed += chunk - Int(stream.avail_in)
                        return stream.avail_out == 0
                    }
                    if more { throw ZlibError.outputTooLarge(limit: maxSize) }
                    if status == Z_STREAM_END { finished = true; break }
                    if status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_STREAM_ERROR {
                        throw ZlibError.corrupt(Self.message(stream, status))
                    }
                    throw ZlibError.truncated(producedBytes: produced)
                }
                let grown = min(ceiling, max(capacity * 2, capacity + 1))
                output += [UInt8](repeating: 0, count: grown - capacity)  // (a memset, even in debug builds)
                capacity = grown
            }
            let chunkIn = min(input.count - consumed, Int(UInt32.max / 2))
            let chunkOut = min(capacity - produced, Int(UInt32.max / 2))
            stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
            stream.avail_in = uInt(chunkIn)
            status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = uInt(chunkOut)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            consumed += chunkIn - Int(stream.avail_in)
            produced += chunkOut - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                finished = true
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: either the output is full (grow) or the input ran out.
                if produced == capacity { continue }
                if consumed >= input.count { throw ZlibError.truncated(producedBytes: produced) }
                throw ZlibError.corrupt(Self.message(stream, status))
            case Z_MEM_ERROR:
                throw ZlibError.corrupt("out of memory")
            default:
                throw ZlibError.corrupt(Self.message(stream, status))
            }
        }
        output.removeLast(output.count - produced)
        if finished {
            if !allowTrailingData && consumed < input.count {
                throw ZlibError.trailingData(bytes: input.count - consumed)
            }
            if let expected = expectedSize, expected != produced {
                throw ZlibError.sizeMismatch(expected: expected, actual: produced)
            }
        }
        return (output, consumed)
    }

    private static func message(_ stream: z_stream, _ status: Int32) -> String {
        if let msg = stream.msg { return String(cString: msg) }
        return "zlib status \(status)"
    }
}
