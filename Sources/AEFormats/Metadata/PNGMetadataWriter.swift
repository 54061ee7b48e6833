/// Puts metadata records back into a PNG, as chunks after IHDR, before any other chunk
/// (libpng's simplified writer, which makes aedec's PNGs, cannot add chunks):
///
/// - `icc`: an iCCP chunk, profile name "ICC profile", the profile zlib-compressed. The
///   writer's sRGB chunk (and any gAMA or cHRM) is then removed: the profile describes the
///   colours, and PNG gives iCCP and sRGB no meaning together;
/// - `exif`: an eXIf chunk;
/// - `xmp`: an uncompressed iTXt chunk with the keyword `XML:com.adobe.xmp` (as Adobe's XMP
///   specification asks), no language tag;
/// - `text`: a tEXt chunk when the entry has no language tag or translated keyword and its
///   text is Latin-1; otherwise an uncompressed iTXt chunk.
public enum PNGMetadataWriter {
    /// The profile name of the iCCP chunks written.
    public static let profileName = "ICC profile"
    /// Chunks an embedded profile replaces.
    static let replacedByProfile = ["sRGB", "gAMA", "cHRM", "iCCP"]

    /// `png` with `records` as chunks after its IHDR. Throws `PNGError.encodeFailed` when
    /// `png` is not a whole PNG that starts with IHDR (aedec's own PNGs always are).
    public static func inserting(_ records: [MetadataRecord], into png: [UInt8]) throws -> [UInt8] {
        guard !records.isEmpty else { return png }
        let (chunks, complete) = PNGChunks.walk(png)
        guard complete, let ihdr = chunks.first, ihdr.isType("IHDR") else {
            throw PNGError.encodeFailed("cannot add metadata: the PNG does not start with IHDR and end with IEND")
        }
        let hasProfile = records.contains { $0.kind == .icc }
        var out = Array(png[0 ..< ihdr.end])
        for record in records { out += chunk(for: record) }
        for chunk in chunks.dropFirst() where !(hasProfile && replacedByProfile.contains(chunk.typeName)) {
            out += png[chunk.start ..< chunk.end]
        }
        return out
    }

    /// The chunk that holds `record`.
    static func chunk(for record: MetadataRecord) -> [UInt8] {
        switch record.kind {
        case .icc:
            return PNGChunks.make("iCCP", Array(profileName.utf8) + [0, 0] + Zlib.compress(record.bytes, level: 9))
        case .exif:
            return PNGChunks.make("eXIf", record.bytes)
        case .xmp:
            return PNGChunks.make("iTXt", Array(PNGMetadataReader.xmpKeyword.utf8) + [0, 0, 0, 0, 0] + record.bytes)
        case .text:
            // `problem` was checked when the record was read: the body parses.
            let entry = record.textEntry!
            let keyword = Latin1.bytes(entry.keyword)!
            if entry.languageTag.isEmpty && entry.translatedKeyword.isEmpty, let text = Latin1.bytes(entry.text) {
                return PNGChunks.make("tEXt", keyword + [0] + text)
            }
            return PNGChunks.make("iTXt", keyword + [0, 0, 0] + Array(entry.languageTag.utf8) + [0]
                                    + Array(entry.translatedKeyword.utf8) + [0] + Array(entry.text.utf8))
        }
    }
}
