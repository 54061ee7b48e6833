/// The metadata segments of a JPEG (`ImageMetadata.read`), read up to the first scan:
/// APP2 `ICC_PROFILE` segments (a profile split over up to 255 segments, each numbered
/// `k of n`, reassembled in order), APP1 `Exif\0\0` (Exif) and APP1
/// `http://ns.adobe.com/xap/1.0/\0` (XMP), and COM segments (a text entry with the keyword
/// "Comment", UTF-8 or else Latin-1). JFIF (APP0) and Adobe (APP14) segments describe the
/// coding and need no word; other APPn segments (IPTC in APP13, extended XMP, MPF) are
/// listed as not carried.
enum JPEGMetadataReader {
    static let exifPrefix: [UInt8] = Array("Exif".utf8) + [0, 0]
    static let xmpPrefix: [UInt8] = Array("http://ns.adobe.com/xap/1.0/".utf8) + [0]
    static let iccPrefix: [UInt8] = Array("ICC_PROFILE".utf8) + [0]

    static func read(_ jpeg: [UInt8]) -> ImageMetadata {
        var metadata = ImageMetadata()
        var iccParts: [(number: Int, count: Int, bytes: ArraySlice<UInt8>)] = []
        guard jpeg.starts(with: [0xFF, 0xD8]) else { return metadata }
        var at = 2
        while jpeg.count - at >= 4, jpeg[at] == 0xFF {
            let marker = jpeg[at + 1]
            if marker == 0xFF { at += 1; continue }  // fill byte
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { at += 2; continue }  // no length
            if marker == 0xD9 || marker == 0xDA { break }  // end of image, start of scan
            let length = MetadataBytes.be16(jpeg, at + 2)
            guard length >= 2, length <= jpeg.count - at - 2 else { break }  // the decoder reports it
            let data = jpeg[(at + 4) ..< (at + 2 + length)]
            at += 2 + length
            switch marker {
            case 0xE1 where data.starts(with: exifPrefix):
                metadata.add(MetadataRecord(kind: .exif, bytes: Array(data.dropFirst(exifPrefix.count))),
                             from: "JPEG Exif (APP1) segment")
            case 0xE1 where data.starts(with: xmpPrefix):
                metadata.add(MetadataRecord(kind: .xmp, bytes: Array(data.dropFirst(xmpPrefix.count))),
                             from: "JPEG XMP (APP1) segment")
            case 0xE2 where data.starts(with: iccPrefix):
                guard data.count > iccPrefix.count + 2 else {
                    metadata.damage("JPEG ICC profile (APP2) segment", "no profile data")
                    continue
                }
                let number = Int(data[data.startIndex + 12]), count = Int(data[data.startIndex + 13])
                iccParts.append((number, count, data.dropFirst(iccPrefix.count + 2)))
            case 0xE0, 0xEE:
                continue  // JFIF, Adobe
            case 0xE0...0xEF:
                metadata.notCarried("JPEG APP\(marker - 0xE0) segment" + identifier(data))
            case 0xFE:
                readComment(data, into: &metadata)
            default:
                continue
            }
        }
        if !iccParts.isEmpty { assembleProfile(iccParts, into: &metadata) }
        return metadata
    }

    /// " ('Photoshop 3.0')": the NUL-terminated identifier that starts most APPn segments.
    private static func identifier(_ data: ArraySlice<UInt8>) -> String {
        let name = data.prefix { $0 != 0 }.prefix(40)
        guard !name.isEmpty, name.allSatisfy({ (0x20...0x7E).contains($0) }) else { return "" }
        return " ('\(String(decoding: name, as: UTF8.self))')"
    }

    /// The profile from its segments: all must say the same count n, and numbers 1 to n
    /// must each appear once.
    private static func assembleProfile(_ parts: [(number: Int, count: Int, bytes: ArraySlice<UInt8>)],
                                        into metadata: inout ImageMetadata) {
        let source = "JPEG ICC profile (APP2 segments)"
        let count = parts[0].count
        guard count >= 1, parts.allSatisfy({ $0.count == count }) else {
            return metadata.damage(source, "the segments disagree on their number")
        }
        let numbers = parts.map(\.number)
        guard numbers.count == count, Set(numbers) == Set(1...count) else {
            let missing = Set(1...count).subtracting(numbers).sorted()
            return metadata.damage(source, missing.isEmpty ? "segments numbered outside 1 to \(count) or repeated"
                : "segment\(missing.count == 1 ? "" : "s") \(missing.map(String.init).joined(separator: ", ")) of \(count) missing")
        }
        let profile = parts.sorted { $0.number < $1.number }.reduce(into: [UInt8]()) { $0 += $1.bytes }
        metadata.add(MetadataRecord(kind: .icc, bytes: profile), from: source)
    }

    /// A COM segment as the text entry "Comment" (UTF-8 if it is valid UTF-8, else
    /// Latin-1; trailing NULs dropped).
    private static func readComment(_ data: ArraySlice<UInt8>, into metadata: inout ImageMetadata) {
        let source = "JPEG comment (COM) segment"
        var bytes = Array(data)
        while bytes.last == 0 { bytes.removeLast() }
        guard !bytes.contains(0) else { return metadata.damage(source, "NUL bytes in the text") }
        let text = String(validating: bytes, as: UTF8.self) ?? Latin1.string(bytes)
        // "Comment" is a valid keyword and the text has no NUL: the entry exists.
        metadata.add(MetadataRecord(text: TextEntry(keyword: "Comment", text: text)!), from: source)
    }
}
