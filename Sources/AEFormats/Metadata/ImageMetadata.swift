/// The metadata of an image file as `aeenc` reads it: the records a latent file can carry
/// (colour profile, Exif, XMP, text entries) and, so that nothing is lost without a word,
/// what it cannot carry and what was found damaged and skipped.
///
/// Read by walking the container's bytes (PNG chunks, JPEG segments, WebP's RIFF chunks),
/// every length checked against the bytes present before use and every zlib stream
/// inflated within a budget (`maxInflatedBytes` per image). Reading never fails: the
/// image's own decoder reports broken containers, and metadata that does not parse is
/// listed in `damaged` and left out, as libpng skips a damaged ancillary chunk.
public struct ImageMetadata: Equatable, Sendable {
    /// The records, profile first, then Exif, XMP and the text entries in file order.
    public var records: [MetadataRecord] = []
    /// What the file holds that latent files do not carry, once each ("PNG pHYs chunk").
    public var notCarried: [String] = []
    /// Metadata that was found damaged and left out, with why
    /// ("PNG iCCP chunk: zlib stream is corrupt (incorrect header check)").
    public var damaged: [String] = []

    /// The most bytes the metadata of one image may inflate to (profiles, zTXt and
    /// compressed iTXt chunks together), as for one latent file.
    public static let maxInflatedBytes = MetadataBlock.maxInflatedBytes

    public init(records: [MetadataRecord] = [], notCarried: [String] = [], damaged: [String] = []) {
        self.records = records
        self.notCarried = notCarried
        self.damaged = damaged
    }

    /// The metadata of the image in `data` (PNG, JPEG or WebP, by its first bytes; none
    /// for anything else).
    public static func read(_ data: [UInt8]) -> ImageMetadata {
        var metadata: ImageMetadata
        switch ImageFormat.detect(data) {
        case .png: metadata = PNGMetadataReader.read(data)
        case .jpeg: metadata = JPEGMetadataReader.read(data)
        case .webp: metadata = WebPMetadataReader.read(data)
        case nil: return ImageMetadata()
        }
        // Stable: text entries keep their file order.
        metadata.records = metadata.records.enumerated()
            .sorted { ($0.element.kind, $0.offset) < ($1.element.kind, $1.offset) }.map(\.element)
        return metadata
    }

    // MARK: Collecting (for the readers)

    /// Adds `record`, found in `source` ("PNG iCCP chunk"), when it is valid for its kind
    /// and not a second profile, Exif or XMP; otherwise notes it as damaged.
    mutating func add(_ record: MetadataRecord, from source: String) {
        if let problem = record.problem { return damage(source, problem) }
        if !record.kind.isRepeatable && records.contains(where: { $0.kind == record.kind }) {
            return damage(source, "a second \(record.kind.name) record; the first is kept")
        }
        records.append(record)
    }

    mutating func damage(_ source: String, _ reason: String) {
        damaged.append("\(source): \(reason)")
    }

    mutating func notCarried(_ what: String) {
        if !notCarried.contains(what) { notCarried.append(what) }
    }
}

/// Inflation of metadata streams within one image's budget.
struct MetadataInflater {
    private(set) var budget = ImageMetadata.maxInflatedBytes

    /// `stream` inflated, or nil after noting why in `metadata` (`source` names the chunk).
    mutating func inflate<C: Collection>(_ stream: C, source: String, into metadata: inout ImageMetadata) -> [UInt8]?
    where C.Element == UInt8 {
        do {
            let bytes = try Zlib.decompress(Array(stream), maxSize: budget)
            budget -= bytes.count
            return bytes
        } catch ZlibError.outputTooLarge {
            metadata.damage(source, "inflates to more than the \(budget) bytes left of the \(ImageMetadata.maxInflatedBytes)-byte metadata limit")
        } catch {
            metadata.damage(source, "\(error)")
        }
        return nil
    }
}

/// Big- and little-endian integers at byte offsets (callers check the bounds).
enum MetadataBytes {
    static func be16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) << 8 | Int(b[at + 1]) }
    static func be32(_ b: [UInt8], _ at: Int) -> Int { b[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    static func le32(_ b: [UInt8], _ at: Int) -> Int { b[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | Int($1) } }

    /// A four-character code for messages: its letters, or hex when they are not printable ASCII.
    static func fourCC<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        bytes.allSatisfy({ (0x20...0x7E).contains($0) }) ? String(decoding: bytes, as: UTF8.self)
            : "0x" + SHA256.hex(Array(bytes))
    }
}
