import AEFormats

/// Which kinds of metadata `aeenc` carries from its inputs into the latent files
/// (`--metadata all|none|LIST`, LIST comma-separated from icc, exif, xmp, text). The
/// default keeps the colour profile only: it changes how the pixels look, and is small.
public struct MetadataSelection: Equatable, Sendable {
    public var kinds: Set<MetadataRecord.Kind>

    public init(kinds: Set<MetadataRecord.Kind>) { self.kinds = kinds }

    public static let `default` = MetadataSelection(kinds: [.icc])
    public static let all = MetadataSelection(kinds: Set(MetadataRecord.Kind.allCases))
    public static let none = MetadataSelection(kinds: [])

    /// The names `--metadata` takes in a list: "icc, exif, xmp, text".
    public static let names = MetadataRecord.Kind.allCases.map(\.name).joined(separator: ", ")

    /// Parses the option's value; nil for anything else (an unknown or repeated name, an
    /// empty list item, `all` or `none` inside a list).
    public init?(_ text: String) {
        switch text {
        case "all": self = .all
        case "none": self = .none
        default:
            var kinds = Set<MetadataRecord.Kind>()
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let kind = MetadataRecord.Kind(name: String(name)), kinds.insert(kind).inserted else { return nil }
            }
            self.kinds = kinds
        }
    }

    /// The option as it would be given: "all", "none", or the kinds in their order ("icc,exif").
    public var option: String {
        if self == .all { return "all" }
        if kinds.isEmpty { return "none" }
        return kinds.sorted().map(\.name).joined(separator: ",")
    }

    /// "--metadata icc (the default)", for notes.
    var described: String { "--metadata \(option)" + (self == .default ? " (the default)" : "") }
}
