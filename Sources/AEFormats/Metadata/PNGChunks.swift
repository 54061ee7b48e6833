/// The chunks of a PNG file, walked without trusting their lengths: each chunk's length
/// is checked against the bytes that remain before it is used. What `PNGMetadataReader`
/// and `PNGMetadataWriter` share.
struct PNGChunk {
    /// The 4-byte chunk type ("IHDR", "iCCP").
    var type: ArraySlice<UInt8>
    /// Offsets of the whole chunk (length field to CRC) and of its data.
    var start: Int
    var end: Int
    var data: Range<Int>

    var typeName: String { MetadataBytes.fourCC(type) }
    /// Ancillary chunks have a lower-case first letter (bit 5 set).
    var isAncillary: Bool { type.first.map { $0 & 0x20 != 0 } ?? false }
    func isType(_ name: String) -> Bool { type.elementsEqual(name.utf8) }

    /// Whether the stored CRC-32 (of the type and data) matches.
    func crcMatches(in png: [UInt8]) -> Bool {
        let crc = png.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[(start + 4) ..< data.upperBound])) }
        return UInt32(MetadataBytes.be32(png, data.upperBound)) == crc
    }
}

enum PNGChunks {
    /// The chunks after the signature, up to IEND (included) or to the first chunk that
    /// does not fit in the bytes (not included; `complete` is then false).
    static func walk(_ png: [UInt8]) -> (chunks: [PNGChunk], complete: Bool) {
        var chunks: [PNGChunk] = []
        var at = PNGImage.signature.count
        guard png.starts(with: PNGImage.signature) else { return ([], false) }
        while png.count - at >= 12 {
            let length = MetadataBytes.be32(png, at)
            guard length <= png.count - at - 12 else { break }
            let chunk = PNGChunk(type: png[(at + 4) ..< (at + 8)], start: at, end: at + 12 + length,
                                 data: (at + 8) ..< (at + 8 + length))
            chunks.append(chunk)
            at = chunk.end
            if chunk.isType("IEND") { return (chunks, true) }
        }
        return (chunks, false)
    }

    /// A whole chunk: length, type, data, CRC-32 of type and data.
    static func make(_ type: String, _ data: [UInt8]) -> [UInt8] {
        precondition(data.count < 1 << 31, "PNG chunks hold less than 2^31 bytes")
        var out: [UInt8] = (0..<4).map { UInt8(truncatingIfNeeded: data.count >> (8 * (3 - $0))) }
        let typed = Array(type.utf8) + data
        out += typed
        let crc = Zlib.crc32(typed)
        out += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * UInt32(3 - $0))) }
        return out
    }
}
