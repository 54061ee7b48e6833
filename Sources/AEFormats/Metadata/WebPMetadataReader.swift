/// The metadata chunks of a WebP (`ImageMetadata.read`): the RIFF chunks `ICCP` (the
/// profile), `EXIF` (TIFF bytes; a leading `Exif\0\0`, which some writers add, is dropped)
/// and `XMP `. Image chunks (VP8, VP8L, VP8X, ALPH; ANIM and ANMF, refused by the decoder)
/// need no word; any other chunk is listed as not carried.
enum WebPMetadataReader {
    static let imageChunks: Set<String> = ["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF"]

    static func read(_ webp: [UInt8]) -> ImageMetadata {
        var metadata = ImageMetadata()
        guard WebPImage.isWebP(webp) else { return metadata }
        // The chunks end where the RIFF container says, or where the bytes do.
        let end = min(webp.count, 8 + MetadataBytes.le32(webp, 4))
        var at = 12
        while end - at >= 8 {
            let name = MetadataBytes.fourCC(webp[at ..< (at + 4)])
            let length = MetadataBytes.le32(webp, at + 4)
            guard length <= end - at - 8 else {
                if ["ICCP", "EXIF", "XMP "].contains(name) {
                    metadata.damage("WebP \(name) chunk", "its \(length) bytes run past the end of the file")
                }
                break
            }
            let data = webp[(at + 8) ..< (at + 8 + length)]
            at += 8 + length + (length & 1)  // chunks are padded to an even length
            let source = "WebP \(name) chunk"
            switch name {
            case "ICCP": metadata.add(MetadataRecord(kind: .icc, bytes: Array(data)), from: source)
            case "EXIF":
                let exif = data.starts(with: JPEGMetadataReader.exifPrefix) ? data.dropFirst(6) : data
                metadata.add(MetadataRecord(kind: .exif, bytes: Array(exif)), from: source)
            case "XMP ": metadata.add(MetadataRecord(kind: .xmp, bytes: Array(data)), from: source)
            default: if !imageChunks.contains(name) { metadata.notCarried(source) }
            }
        }
        return metadata
    }
}
