/// The metadata chunks of a PNG (`ImageMetadata.read`): iCCP (the profile, inflated), eXIf,
/// iTXt with the keyword `XML:com.adobe.xmp` (XMP), and tEXt, zTXt and iTXt text entries.
/// A metadata chunk with a bad CRC or contents that do not parse is noted as damaged and
/// skipped. Other ancillary chunks are listed as not carried, except those the decoder
/// applies (tRNS becomes alpha; gAMA and sRGB are honoured in the conversion to 8-bit
/// sRGB, and aedec's PNGs are marked sRGB).
enum PNGMetadataReader {
    /// The keyword of the iTXt chunk that holds XMP.
    static let xmpKeyword = "XML:com.adobe.xmp"
    /// Ancillary chunks that need no word: applied by the decoder, or carried another way.
    static let applied: Set<String> = ["tRNS", "gAMA", "sRGB"]

    static func read(_ png: [UInt8]) -> ImageMetadata {
        var metadata = ImageMetadata()
        var inflater = MetadataInflater()
        for chunk in PNGChunks.walk(png).chunks where chunk.isAncillary {
            let name = chunk.typeName
            let source = "PNG \(name) chunk"
            let data = png[chunk.data]
            guard ["iCCP", "eXIf", "tEXt", "zTXt", "iTXt"].contains(name) else {
                if !applied.contains(name) { metadata.notCarried(source) }
                continue
            }
            guard chunk.crcMatches(in: png) else {
                metadata.damage(source, "CRC error")
                continue
            }
            switch name {
            case "iCCP":
                // Profile name (1-79 bytes), NUL, compression method 0, zlib stream.
                guard let nul = data.firstIndex(of: 0), TextEntry.isKeyword(data[data.startIndex ..< nul]),
                      nul + 1 < data.endIndex, data[nul + 1] == 0 else {
                    metadata.damage(source, "no profile name and compression method 0")
                    continue
                }
                if let profile = inflater.inflate(data[(nul + 2)...], source: source, into: &metadata) {
                    metadata.add(MetadataRecord(kind: .icc, bytes: profile), from: source)
                }
            case "eXIf":
                metadata.add(MetadataRecord(kind: .exif, bytes: Array(data)), from: source)
            default:
                readText(name, data, source: source, into: &metadata, inflater: &inflater)
            }
        }
        return metadata
    }

    /// tEXt (keyword, NUL, Latin-1 text), zTXt (keyword, NUL, method 0, zlib Latin-1 text)
    /// and iTXt (keyword, NUL, compression flag, method, language tag, NUL, translated
    /// keyword, NUL, UTF-8 text, zlib-compressed when the flag is 1).
    private static func readText(_ name: String, _ data: ArraySlice<UInt8>, source: String,
                                 into metadata: inout ImageMetadata, inflater: inout MetadataInflater) {
        guard let nul = data.firstIndex(of: 0), TextEntry.isKeyword(data[data.startIndex ..< nul]) else {
            return metadata.damage(source, "no keyword of 1 to 79 printable Latin-1 characters")
        }
        let keyword = Latin1.string(data[data.startIndex ..< nul])
        let rest = data[(nul + 1)...]
        var entry: TextEntry?
        switch name {
        case "tEXt":
            entry = TextEntry(keyword: keyword, text: Latin1.string(rest))
        case "zTXt":
            guard rest.first == 0 else { return metadata.damage(source, "unknown compression method") }
            guard let text = inflater.inflate(rest.dropFirst(), source: source, into: &metadata) else { return }
            entry = TextEntry(keyword: keyword, text: Latin1.string(text))
        default:  // iTXt
            let fields = rest.dropFirst(2).split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
            guard rest.count >= 2, rest.first! <= 1, rest.dropFirst().first == 0, fields.count == 3 else {
                return metadata.damage(source, "malformed iTXt fields")
            }
            var text = Array(fields[2])
            if rest.first == 1 {
                guard let inflated = inflater.inflate(text, source: source, into: &metadata) else { return }
                text = inflated
            }
            if keyword == xmpKeyword {
                return metadata.add(MetadataRecord(kind: .xmp, bytes: text), from: source)
            }
            guard let translated = String(validating: fields[1], as: UTF8.self),
                  let string = String(validating: text, as: UTF8.self) else {
                return metadata.damage(source, "text that is not UTF-8")
            }
            entry = TextEntry(keyword: keyword, languageTag: String(decoding: fields[0], as: UTF8.self),
                              translatedKeyword: translated, text: string)
        }
        guard let entry else { return metadata.damage(source, "a language tag or text that a text entry cannot hold (NUL bytes)") }
        metadata.add(MetadataRecord(text: entry), from: source)
    }
}
