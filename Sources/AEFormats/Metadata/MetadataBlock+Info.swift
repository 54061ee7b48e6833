import AEBase

/// How `aeinfo` shows a latent file's metadata records: kinds and sizes.
extension MetadataBlock.Entry: Encodable {
    private enum Keys: String, CodingKey { case kind, code, length, storedLength, compressed, keyword }

    /// `{"kind": "icc", "code": 1, "length": 3144, "storedLength": 1802, "compressed": true}`,
    /// with `"keyword"` for text records.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kindName, forKey: .kind)
        try c.encode(Int(code), forKey: .code)
        try c.encode(length, forKey: .length)
        try c.encode(storedLength, forKey: .storedLength)
        try c.encode(compressed, forKey: .compressed)
        try c.encodeIfPresent(keyword, forKey: .keyword)
    }

    /// "icc 3,144 bytes (zlib-compressed to 1,802)", "text 'Title' 12 bytes", "kind 9 (unknown, skipped) 5 bytes".
    public var text: String {
        var name = kindName
        if let keyword { name += " '\(keyword)'" }
        if kind == nil { name += " (unknown to this reader, skipped)" }
        let size = "\(NumberText.grouped(length)) byte\(length == 1 ? "" : "s")"
        return "\(name) \(size)" + (compressed ? " (zlib-compressed to \(NumberText.grouped(storedLength)))" : "")
    }
}

extension MetadataBlock {
    /// The `metadata:` line of `aeinfo`: "none", or the records in file order.
    public static func infoLine(_ entries: [Entry]) -> String {
        "metadata: " + (entries.isEmpty ? "none" : entries.map(\.text).joined(separator: ", "))
    }
}
