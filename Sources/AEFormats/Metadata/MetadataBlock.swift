/// The metadata records of a latent file: the inner format of its header extension block
/// from minor versions 1.1 and 2.1 on (Specs/latent-file.md, section 13). The block is a
/// sequence of records, each
///
///     kind (1 byte)  flags (1 byte)  length (varint)  [rawLength (varint)]  body (length bytes)
///
/// `kind` is a `MetadataRecord.Kind` code (0 is refused; 5 to 255 are left to later minor
/// versions: checked, then skipped); `flags` bit 0 says the body is a zlib stream that
/// inflates to `rawLength` bytes (present only then), the other bits are zero. A writer
/// compresses a body only when that makes it smaller.
public enum MetadataBlock {
    /// The most bytes the records of one file may inflate to, together (checked against
    /// the declared sizes before anything is inflated).
    public static let maxInflatedBytes = 1 << 24
    /// `flags` bit 0: the body is zlib-compressed.
    static let compressedFlag: UInt8 = 0x01

    /// What `aeinfo` shows of one record.
    public struct Entry: Equatable, Sendable {
        /// The kind's code in the file (unknown kinds are listed, and skipped by readers).
        public var code: UInt8
        /// Bytes of the record's content (inflated).
        public var length: Int
        /// Bytes of the body in the file (smaller than `length` when compressed).
        public var storedLength: Int
        public var compressed: Bool
        /// A text record's keyword.
        public var keyword: String?

        public var kind: MetadataRecord.Kind? { MetadataRecord.Kind(rawValue: code) }
        /// "icc", "text", or "kind 9" for a kind this reader does not know.
        public var kindName: String { kind?.name ?? "kind \(code)" }
    }

    // MARK: Writing

    /// One record's bytes in the block.
    static func encode(_ record: MetadataRecord) -> [UInt8] {
        var out: [UInt8] = [record.kind.rawValue]
        let packed = record.bytes.count > 8 ? Zlib.compress(record.bytes, level: 9) : record.bytes
        if packed.count < record.bytes.count {
            out.append(compressedFlag)
            LatentFileCodec.appendVarint(packed.count, to: &out)
            LatentFileCodec.appendVarint(record.bytes.count, to: &out)
            out += packed
        } else {
            out.append(0)
            LatentFileCodec.appendVarint(record.bytes.count, to: &out)
            out += record.bytes
        }
        return out
    }

    /// The block for `records`, in their order. Throws `invalidRequest` for a record that
    /// is not valid for its kind, a second profile, Exif or XMP, or a block over the limit.
    static func encode(_ records: [MetadataRecord]) throws -> [UInt8] {
        func refuse(_ reason: String) -> LatentFileError { .invalidRequest(path: "<memory>", reason: reason) }
        var out: [UInt8] = []
        var seen = Set<MetadataRecord.Kind>()
        var inflated = 0
        for record in records {
            if let problem = record.problem { throw refuse("metadata record \(record.label): \(problem)") }
            guard record.kind.isRepeatable || seen.insert(record.kind).inserted else {
                throw refuse("a latent file holds one \(record.kind.name) record, not several")
            }
            inflated += record.bytes.count
            out += encode(record)
        }
        guard inflated <= maxInflatedBytes else {
            throw refuse("the metadata records hold \(inflated) bytes, more than the limit of \(maxInflatedBytes)")
        }
        guard out.count <= LatentFile.Limits.extensionBytes else {
            throw refuse("the metadata records take \(out.count) bytes, more than the extension block's limit of \(LatentFile.Limits.extensionBytes)")
        }
        return out
    }

    /// The records, in order, that fit in one block: each is kept when it still fits after
    /// those before it (one that does not is left out, and later, smaller ones may fit).
    /// Records that `encode` would refuse (invalid, a second profile) are left out too.
    public static func fitting(_ records: [MetadataRecord]) -> (kept: [MetadataRecord], leftOut: [MetadataRecord]) {
        var kept: [MetadataRecord] = [], leftOut: [MetadataRecord] = []
        var size = 0, inflated = 0
        var seen = Set<MetadataRecord.Kind>()
        for record in records {
            let bytes = encode(record).count
            if record.problem == nil, record.kind.isRepeatable || !seen.contains(record.kind),
               size + bytes <= LatentFile.Limits.extensionBytes, inflated + record.bytes.count <= maxInflatedBytes {
                kept.append(record)
                seen.insert(record.kind)
                size += bytes
                inflated += record.bytes.count
            } else {
                leftOut.append(record)
            }
        }
        return (kept, leftOut)
    }

    // MARK: Reading

    /// One record's framing, as read before anything is inflated.
    private struct Framing {
        var start: Int
        var code: UInt8
        var compressed: Bool
        var length: Int
        var body: Range<Int>
    }

    /// Parses and checks a whole block: the records of known kinds, in order, and an entry
    /// for every record (unknown kinds included). `block` is a slice of the file's bytes;
    /// messages give offsets in the file. First every record's framing is read and the
    /// declared sizes are checked against the limit, then the bodies are inflated and
    /// checked. Errors are `LatentFileError`s naming `path`.
    static func decode(_ block: ArraySlice<UInt8>, path: String) throws -> (records: [MetadataRecord], entries: [Entry]) {
        var framings: [Framing] = []
        var inflated = 0
        var at = block.startIndex
        let end = block.endIndex
        while at < end {
            let start = at, number = framings.count + 1
            func malformed(_ reason: String) -> LatentFileError {
                .malformed(path: path, reason: "metadata record \(number) at byte \(start): \(reason)")
            }
            func varint(_ field: String) throws -> Int {
                var value = 0
                for k in 0..<LatentFile.Limits.varintBytes {
                    guard at < end else { throw malformed("its \(field) runs past the end of the extension block") }
                    let b = block[at]
                    at += 1
                    value |= Int(b & 0x7F) << (7 * k)
                    if b & 0x80 == 0 {
                        if b == 0 && k > 0 { throw malformed("its \(field) is not minimally encoded") }
                        return value
                    }
                }
                throw malformed("its \(field) is longer than \(LatentFile.Limits.varintBytes) bytes")
            }
            guard end - at >= 3 else { throw malformed("\(end - at) bytes are too few for a record") }
            let code = block[at], flags = block[at + 1]
            at += 2
            guard code != 0 else { throw malformed("kind 0 is not a record kind") }
            guard flags & ~compressedFlag == 0 else {
                throw malformed("flags 0x\(SHA256.hex([flags])) set reserved bits (only bit 0 is defined)")
            }
            let compressed = flags & compressedFlag != 0
            let stored = try varint("length")
            let length = compressed ? try varint("inflated length") : stored
            guard stored >= 1 else { throw malformed("its body is empty") }
            guard stored <= end - at else {
                throw malformed("its \(stored) bytes run past the end of the extension block (\(end - at) left)")
            }
            if compressed {
                guard stored >= 8, stored < length, length <= stored * Zlib.maxRatio + 64 else {
                    throw malformed("\(stored) compressed bytes for \(length) bytes of content")
                }
            }
            inflated += length
            if inflated > maxInflatedBytes {
                throw LatentFileError.limitExceeded(path: path, what: "metadata (inflated bytes)", value: inflated,
                                                    limit: maxInflatedBytes)
            }
            framings.append(Framing(start: start, code: code, compressed: compressed, length: length,
                                    body: at ..< at + stored))
            at += stored
        }

        var records: [MetadataRecord] = [], entries: [Entry] = []
        var seen = Set<MetadataRecord.Kind>()
        for (k, f) in framings.enumerated() {
            func malformed(_ reason: String) -> LatentFileError {
                .malformed(path: path, reason: "metadata record \(k + 1) at byte \(f.start): \(reason)")
            }
            var body = Array(block[f.body])
            if f.compressed {
                do {
                    body = try Zlib.decompress(body, expectedSize: f.length, maxSize: f.length)
                } catch let error as ZlibError {
                    throw malformed("\(error)")
                }
            }
            var entry = Entry(code: f.code, length: f.length, storedLength: f.body.count, compressed: f.compressed)
            if let kind = MetadataRecord.Kind(rawValue: f.code) {
                let record = MetadataRecord(kind: kind, bytes: body)
                if let problem = record.problem { throw malformed("\(kind.name): \(problem)") }
                guard kind.isRepeatable || seen.insert(kind).inserted else {
                    throw malformed("a second \(kind.name) record (a file holds one)")
                }
                entry.keyword = record.textEntry?.keyword
                records.append(record)
            }
            entries.append(entry)
        }
        return (records, entries)
    }
}
