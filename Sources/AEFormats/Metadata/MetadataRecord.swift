/// One piece of an image's metadata, as latent files carry it from the original image to
/// the decoded PNG (Specs/latent-file.md, section 13): a colour profile, Exif, XMP, or a
/// text entry. `bytes` are the record's content, with no container framing:
///
/// - `icc`: the ICC profile (at least its 128-byte header, with `acsp` at offset 36);
/// - `exif`: the Exif data as TIFF bytes, from the byte-order mark (`II*\0` or `MM\0*`),
///   without JPEG's `Exif\0\0` prefix;
/// - `xmp`: the XMP packet (UTF-8 XML text);
/// - `text`: a `TextEntry` (keyword, language, translated keyword, text), as `TextEntry.body`.
public struct MetadataRecord: Equatable, Sendable {
    /// What a record holds; the raw value is its code in the latent file.
    public enum Kind: UInt8, CaseIterable, Comparable, Sendable {
        case icc = 1, exif = 2, xmp = 3, text = 4

        /// The name in `aeenc --metadata`, `aeinfo` and messages.
        public var name: String {
            switch self {
            case .icc: return "icc"
            case .exif: return "exif"
            case .xmp: return "xmp"
            case .text: return "text"
            }
        }

        public init?(name: String) {
            guard let kind = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = kind
        }

        /// Whether a file may hold several records of this kind (only text entries).
        public var isRepeatable: Bool { self == .text }

        public static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    public var kind: Kind
    public var bytes: [UInt8]

    public init(kind: Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }

    /// A text record.
    public init(text entry: TextEntry) {
        self.init(kind: .text, bytes: entry.body)
    }

    /// The text entry of a text record (nil for other kinds, or malformed bytes).
    public var textEntry: TextEntry? { kind == .text ? TextEntry(body: bytes) : nil }

    /// Why `bytes` are not a valid record of `kind` (nil: they are). The checks are the
    /// format's (section 13): enough to know what the bytes are, not a full parse.
    public var problem: String? {
        switch kind {
        case .icc:
            guard bytes.count >= 128 else { return "an ICC profile of \(bytes.count) bytes is shorter than its 128-byte header" }
            guard Array(bytes[36..<40]) == Array("acsp".utf8) else { return "no ICC profile signature 'acsp' at byte 36" }
        case .exif:
            guard bytes.count >= 8, Self.tiffByteOrderMarks.contains(Array(bytes[0..<4])) else {
                return "Exif data do not start with a TIFF header (II*\\0 or MM\\0*)"
            }
        case .xmp:
            guard !bytes.isEmpty else { return "empty XMP packet" }
        case .text:
            guard TextEntry(body: bytes) != nil else {
                return "not a text entry (keyword of 1 to 79 Latin-1 characters, NUL, language tag, NUL, translated keyword, NUL, UTF-8 text; no other NUL)"
            }
        }
        return nil
    }

    /// The first 4 bytes of TIFF data: little-endian `II*\0`, big-endian `MM\0*`.
    static let tiffByteOrderMarks: [[UInt8]] = [[0x49, 0x49, 0x2A, 0x00], [0x4D, 0x4D, 0x00, 0x2A]]

    /// How messages name the record: "icc", or "text 'Title'".
    public var label: String {
        guard let entry = textEntry else { return kind.name }
        return "text '\(entry.keyword)'"
    }
}

/// A text entry as PNG's iTXt chunk holds it: a keyword (1 to 79 printable Latin-1
/// characters, PNG's rule), a language tag (printable ASCII, may be empty), the keyword
/// translated into that language and the text (UTF-8; both may be empty). tEXt and zTXt
/// chunks are entries with an empty language tag and translated keyword. No field holds a
/// NUL: the record's bytes (`body`) are the four fields separated by three NULs.
public struct TextEntry: Equatable, Sendable {
    public let keyword: String
    public let languageTag: String
    public let translatedKeyword: String
    public let text: String

    /// Nil when a field breaks the rules above.
    public init?(keyword: String, languageTag: String = "", translatedKeyword: String = "", text: String) {
        guard let bytes = Latin1.bytes(keyword), Self.isKeyword(bytes),
              languageTag.utf8.allSatisfy({ (0x20...0x7E).contains($0) }),
              !translatedKeyword.utf8.contains(0), !text.utf8.contains(0) else { return nil }
        self.keyword = keyword
        self.languageTag = languageTag
        self.translatedKeyword = translatedKeyword
        self.text = text
    }

    /// Parses `keyword NUL languageTag NUL translatedKeyword NUL text`.
    public init?(body: [UInt8]) {
        let parts = body.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[3].contains(0),
              let translated = String(validating: parts[2], as: UTF8.self),
              let text = String(validating: parts[3], as: UTF8.self) else { return nil }
        self.init(keyword: Latin1.string(parts[0]), languageTag: String(decoding: parts[1], as: UTF8.self),
                  translatedKeyword: translated, text: text)
    }

    /// The record's bytes.
    public var body: [UInt8] {
        (Latin1.bytes(keyword) ?? []) + [0] + Array(languageTag.utf8) + [0] + Array(translatedKeyword.utf8) + [0]
            + Array(text.utf8)
    }

    /// PNG's keyword rule: 1 to 79 bytes, each printable Latin-1 (32-126, 161-255).
    static func isKeyword<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        (1...79).contains(bytes.count) && bytes.allSatisfy { (32...126).contains($0) || $0 >= 161 }
    }
}

/// ISO 8859-1 (Latin-1), the encoding of PNG keywords and tEXt/zTXt text: each byte is the
/// Unicode scalar of the same value.
enum Latin1 {
    static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// Nil when a character is outside Latin-1.
    static func bytes(_ string: String) -> [UInt8]? {
        var out: [UInt8] = []
        for scalar in string.unicodeScalars {
            guard scalar.value <= 0xFF else { return nil }
            out.append(UInt8(scalar.value))
        }
        return out
    }
}
