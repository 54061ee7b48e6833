/// Images with metadata for the tests, assembled byte by byte from committed images,
/// independently of the library's readers and writer: PNG chunks, JPEG segments and
/// WebP's extended (VP8X) layout, and small valid metadata to put in them.
public enum TestMetadata {
    /// A made-up ICC profile of `size` bytes (at least 132): the size at offset 0, 'mntr'
    /// 'RGB ' 'XYZ ' as class and spaces, 'acsp' at offset 36, then bytes that vary.
    public static func iccProfile(size: Int = 560, seed: UInt8 = 1) -> [UInt8] {
        var p = [UInt8](repeating: 0, count: size)
        for k in 0..<4 { p[k] = UInt8(truncatingIfNeeded: size >> (8 * (3 - k))) }
        p.replaceSubrange(12..<24, with: Array("mntrRGB XYZ ".utf8))
        p.replaceSubrange(36..<40, with: Array("acsp".utf8))
        for i in 128..<size { p[i] = UInt8(truncatingIfNeeded: i % 7 == 0 ? i / 7 &+ Int(seed) : 0) }
        return p
    }

    /// Big-endian TIFF data with one IFD entry: Orientation (0x0112) = `orientation`.
    public static func exif(orientation: UInt8 = 6) -> [UInt8] {
        Array("MM".utf8) + [0x00, 0x2A, 0, 0, 0, 8]    // header, first IFD at 8
            + [0, 1]                                    // one entry
            + [0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0]  // SHORT, count 1, value
            + [0, 0, 0, 0]                              // no next IFD
    }

    /// A small XMP packet.
    public static let xmp: [UInt8] = Array("""
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF \
        xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" \
        xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/png"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>
        """.utf8)

    // MARK: PNG

    /// A whole PNG chunk.
    public static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        TestPNG.chunk(type, data, &out)
        return out
    }

    /// `png` with `chunks` (whole chunks) after its IHDR chunk (which ends at byte 33).
    public static func png(_ png: [UInt8], inserting chunks: [[UInt8]]) -> [UInt8] {
        Array(png[0..<33]) + chunks.flatMap { $0 } + Array(png[33...])
    }

    /// iCCP: profile name, NUL, method 0, the zlib stream.
    public static func iccpChunk(_ profile: [UInt8], name: String = "test profile") -> [UInt8] {
        pngChunk("iCCP", Array(name.utf8) + [0, 0] + TestZlib.compress(profile))
    }

    /// iTXt, uncompressed: keyword, NUL, flag 0, method 0, language, NUL, translated keyword, NUL, text.
    public static func itxtChunk(_ keyword: String, _ text: [UInt8], language: String = "", translated: String = "") -> [UInt8] {
        pngChunk("iTXt", Array(keyword.utf8) + [0, 0, 0] + Array(language.utf8) + [0] + Array(translated.utf8) + [0] + text)
    }

    /// The chunks of a PNG after the signature: (type, data), in order.
    public static func pngChunks(_ png: [UInt8]) -> [(type: String, data: [UInt8])] {
        var out: [(String, [UInt8])] = []
        var at = 8
        while at + 12 <= png.count {
            let length = png[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard at + 12 + length <= png.count else { break }
            out.append((String(decoding: png[(at + 4)..<(at + 8)], as: UTF8.self), Array(png[(at + 8)..<(at + 8 + length)])))
            at += 12 + length
        }
        return out
    }

    // MARK: JPEG

    /// A marker segment: FF, marker, length (2 + data, big-endian), data.
    public static func jpegSegment(_ marker: UInt8, _ data: [UInt8]) -> [UInt8] {
        [0xFF, marker, UInt8((data.count + 2) >> 8), UInt8((data.count + 2) & 0xFF)] + data
    }

    /// `jpeg` with `segments` (whole segments) right after its SOI marker.
    public static func jpeg(_ jpeg: [UInt8], inserting segments: [[UInt8]]) -> [UInt8] {
        Array(jpeg[0..<2]) + segments.flatMap { $0 } + Array(jpeg[2...])
    }

    /// The APP2 segments of `profile` split into `parts` nearly equal pieces, numbered 1...parts.
    public static func iccSegments(_ profile: [UInt8], parts: Int) -> [[UInt8]] {
        let size = (profile.count + parts - 1) / parts
        return (0..<parts).map { k in
            let piece = Array(profile[(k * size)..<min(profile.count, (k + 1) * size)])
            return jpegSegment(0xE2, Array("ICC_PROFILE".utf8) + [0, UInt8(k + 1), UInt8(parts)] + piece)
        }
    }

    /// APP1 Exif: "Exif" NUL NUL, then the TIFF data.
    public static func exifSegment(_ tiff: [UInt8]) -> [UInt8] {
        jpegSegment(0xE1, Array("Exif".utf8) + [0, 0] + tiff)
    }

    // MARK: WebP

    /// A RIFF chunk: four-character code, little-endian length, data, a pad byte to an even length.
    public static func riffChunk(_ fourCC: String, _ data: [UInt8]) -> [UInt8] {
        Array(fourCC.utf8) + (0..<4).map { UInt8(truncatingIfNeeded: data.count >> (8 * $0)) } + data
            + (data.count % 2 == 1 ? [0] : [])
    }

    /// A simple-format WebP (RIFF, WEBP, one VP8/VP8L chunk) of `width` x `height` in the
    /// extended format: VP8X (flags for ICC, Exif, XMP), ICCP, the image chunk, EXIF, XMP.
    public static func webp(_ simple: [UInt8], width: Int, height: Int, icc: [UInt8]? = nil, exif: [UInt8]? = nil,
                            xmp: [UInt8]? = nil) -> [UInt8] {
        let flags: UInt8 = (icc != nil ? 0x20 : 0) | (exif != nil ? 0x08 : 0) | (xmp != nil ? 0x04 : 0)
        let canvas = [width - 1, height - 1].flatMap { v in (0..<3).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        var body = Array("WEBP".utf8) + riffChunk("VP8X", [flags, 0, 0, 0] + canvas)
        if let icc { body += riffChunk("ICCP", icc) }
        body += simple[12...]
        if let exif { body += riffChunk("EXIF", exif) }
        if let xmp { body += riffChunk("XMP ", xmp) }
        return Array("RIFF".utf8) + (0..<4).map { UInt8(truncatingIfNeeded: body.count >> (8 * $0)) } + body
    }
}
