import AEBase
import AEFormats
/// One training data source named on the command line: its kind, path and options.
///
/// Syntax of a data argument (see `DataSource.syntaxHelp`):
///
///     DATA   = SOURCE [ "+" SOURCE ... ]             sources are concatenated in order
///     SOURCE = [KIND ":"] PATH [ "," KEY "=" VALUE ... ]
///            | "synthetic:" COUNT [ "," KEY "=" VALUE ... ]
///
/// Without KIND the kind follows from the path: `.mat` -> mat, `.npy` -> npy, `.png`
/// or a folder -> png; other existing files are recognised by their first bytes. A
/// SOURCE (or the whole argument) that names an existing file or folder is taken
/// verbatim, so paths containing "+" or "," still work when given alone.
public struct DataSourceSpec: Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// MAT v5 file with variable X, 32 x 32 x 3 x N (SVHN cropped digits).
        case mat
        /// .npy uint8 array, N x 32 x 32 x 3.
        case npy
        /// A folder of PNG images (or one PNG) of any size, cut into 32x32 crops.
        case png
        /// SVHN format-1 train photos + digit_boxes.csv, cut into (augmented) digit crops.
        case svhnPhotos = "svhn-photos"
        /// Built-in synthetic images; the "path" is the image count.
        case synthetic

        /// The options each kind accepts (`limit` is accepted by all).
        public var optionNames: [String] {
            switch self {
            case .mat: return ["limit"]
            case .npy: return ["labels", "limit"]
            case .png: return ["crops", "per-image", "count", "seed", "small", "size", "flip", "scale", "limit"]
            case .svhnPhotos: return ["count", "seed", "augment", "shift", "scale", "limit"]
            case .synthetic: return ["seed", "limit"]
            }
        }
    }

    public var kind: Kind
    /// The file or folder; for `synthetic`, the image count as written.
    public var path: String
    /// KEY=VALUE options in the order given.
    public var options: [(key: String, value: String)]

    public init(kind: Kind, path: String, options: [(key: String, value: String)] = []) {
        self.kind = kind
        self.path = path
        self.options = options
    }

    public static func == (a: DataSourceSpec, b: DataSourceSpec) -> Bool {
        a.kind == b.kind && a.path == b.path && a.options.map { "\($0.key)=\($0.value)" } == b.options.map { "\($0.key)=\($0.value)" }
    }

    /// The value of option `key`, if given (the last one wins).
    public func option(_ key: String) -> String? {
        options.last { $0.key == key }?.value
    }

    /// The source written back in argument syntax.
    public var description: String {
        ([kind.rawValue + ":" + path] + options.map { "\($0.key)=\($0.value)" }).joined(separator: ",")
    }

    // MARK: Parsing

    /// Parses a data argument into its sources, in order.
    public static func parse(_ argument: String) throws -> [DataSourceSpec] {
        let trimmed = argument.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw DataSourceError.invalidArgument(argument, reason: "no data source given")
        }
        if FileBytes.kind(of: trimmed).exists {
            return [try inferred(path: trimmed, argument: argument)]
        }
        let pieces = trimmed.split(separator: "+", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        if pieces.contains(where: \.isEmpty) {
            throw DataSourceError.invalidArgument(argument, reason: "empty source between '+' separators")
        }
        return try pieces.map { try parseSource($0) }
    }

    /// Parses several data arguments (e.g. repeated `--data` options), concatenated in order.
    public static func parse(arguments: [String]) throws -> [DataSourceSpec] {
        try arguments.flatMap { try parse($0) }
    }

    /// Parses one SOURCE.
    static func parseSource(_ text: String) throws -> DataSourceSpec {
        if FileBytes.kind(of: text).exists { return try inferred(path: text, argument: text) }
        var fields = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        var target = fields.removeFirst()
        var options: [(key: String, value: String)] = []
        for field in fields {
            guard let eq = field.firstIndex(of: "="), eq != field.startIndex else {
                throw DataSourceError.invalidArgument(text, reason: "option '\(field)' is not KEY=VALUE")
            }
            options.append((String(field[..<eq]).trimmingSpaces(), String(field[field.index(after: eq)...]).trimmingSpaces()))
        }
        var spec: DataSourceSpec
        if let colon = target.firstIndex(of: ":"), let kind = Kind(rawValue: String(target[..<colon])) {
            target = String(target[target.index(after: colon)...])
            guard !target.isEmpty else {
                throw DataSourceError.invalidArgument(text, reason: "\(kind.rawValue): needs a \(kind == .synthetic ? "count" : "path")")
            }
            spec = DataSourceSpec(kind: kind, path: target)
        } else if let colon = target.firstIndex(of: ":"), !target[..<colon].contains("/"),
                  !FileBytes.kind(of: target).exists, target[..<colon].count > 1 {
            let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw DataSourceError.invalidArgument(text, reason: "unknown kind '\(target[..<colon])' (known: \(known))")
        } else {
            spec = try inferred(path: target, argument: text)
        }
        spec.options = options
        try spec.validate(argument: text)
        return spec
    }

    /// The spec for a bare path, its kind inferred from the extension, folder-ness or content.
    static func inferred(path: String, argument: String) throws -> DataSourceSpec {
        let lower = path.lowercased()
        if lower.hasSuffix(".mat") { return DataSourceSpec(kind: .mat, path: path) }
        if lower.hasSuffix(".npy") { return DataSourceSpec(kind: .npy, path: path) }
        let name = lower.split(separator: "/").last ?? ""
        if let dot = name.lastIndex(of: "."), ImageFormat.fileExtensions.contains(String(name[name.index(after: dot)...])) {
            return DataSourceSpec(kind: .png, path: path)
        }
        let (exists, isFolder) = FileBytes.kind(of: path)
        guard exists else { throw DataSourceError.missingFile(path: path) }
        if isFolder { return DataSourceSpec(kind: .png, path: path) }
        let head = FileBytes.prefix(path, count: ImageFormat.signatureLength) ?? []
        if head.starts(with: Array("MATLAB".utf8)) { return DataSourceSpec(kind: .mat, path: path) }
        if head.starts(with: [0x93] + Array("NUMPY".utf8)) { return DataSourceSpec(kind: .npy, path: path) }
        if head.starts(with: PNGImage.signature.prefix(4)) || ImageFormat.detect(head) != nil {
            return DataSourceSpec(kind: .png, path: path)
        }
        throw DataSourceError.unrecognizedFormat(
            path: path, reason: "not a MAT, .npy, PNG, JPEG or WebP file; name the kind (mat:, npy:, png:, svhn-photos:, synthetic:)")
    }

    // MARK: Options

    /// Checks option names and values (so errors appear before anything is loaded).
    func validate(argument: String) throws {
        for (key, _) in options where !kind.optionNames.contains(key) {
            throw DataSourceError.invalidArgument(
                argument, reason: "unknown option '\(key)' for \(kind.rawValue) sources (known: \(kind.optionNames.joined(separator: ", ")))")
        }
        if kind == .synthetic { _ = try positiveInt(path, name: "synthetic image count", argument: argument) }
        if let v = option("limit") { _ = try positiveInt(v, name: "limit", argument: argument) }
        if let v = option("count") { _ = try positiveInt(v, name: "count", argument: argument) }
        if let v = option("per-image") { _ = try positiveInt(v, name: "per-image", argument: argument) }
        if let v = option("seed") { _ = try seedValue(v, argument: argument) }
        if let v = option("crops"), !["tiles", "random"].contains(v) {
            throw DataSourceError.invalidArgument(argument, reason: "crops must be 'tiles' or 'random', got '\(v)'")
        }
        if option("crops") != "random" && (option("count") != nil || option("per-image") != nil) && kind == .png {
            throw DataSourceError.invalidArgument(argument, reason: "count and per-image need crops=random (tiles are all the tiles)")
        }
        if kind == .png && option("crops") == "random" {
            let given = [option("count"), option("per-image")].compactMap { $0 }.count
            guard given == 1 else {
                throw DataSourceError.invalidArgument(argument, reason: "crops=random needs exactly one of count=N (in all) or per-image=N")
            }
        }
        if let v = option("small"), PNGFolderCrops.SmallImages(rawValue: v) == nil {
            throw DataSourceError.invalidArgument(argument, reason: "small must be 'pad' or 'skip', got '\(v)'")
        }
        if let v = option("augment") { _ = try boolValue(v, name: "augment", argument: argument) }
        if let v = option("shift") {
            guard let x = Double(v), x >= 0, x <= 1 else {
                throw DataSourceError.invalidArgument(argument, reason: "shift must be a fraction 0...1 of the window side, got '\(v)'")
            }
        }
        if let v = option("scale") { _ = try scaleRange(v, argument: argument) }
    }

    func positiveInt(_ text: String, name: String, argument: String) throws -> Int {
        guard let v = Int(text.replacingUnderscores()), v > 0 else {
            throw DataSourceError.invalidArgument(argument, reason: "\(name) must be a positive integer, got '\(text)'")
        }
        return v
    }

    /// An image count: positive and at most `DataSource.maxImages`.
    func imageCount(_ text: String, name: String, argument: String) throws -> Int {
        let v = try positiveInt(text, name: name, argument: argument)
        guard v <= DataSource.maxImages else {
            throw DataSourceError.invalidArgument(argument, reason:
                "\(name) \(v) is more than the \(NumberText.grouped(DataSource.maxImages)) images a data set may hold")
        }
        return v
    }

    /// A real number option (e.g. shift=0.15).
    func number(_ text: String, name: String, argument: String) throws -> Double {
        guard let v = Double(text), v.isFinite else {
            throw DataSourceError.invalidArgument(argument, reason: "\(name) must be a number, got '\(text)'")
        }
        return v
    }

    func seedValue(_ text: String, argument: String) throws -> UInt64 {
        guard let v = UInt64(text.replacingUnderscores()) else {
            throw DataSourceError.invalidArgument(argument, reason: "seed must be a non-negative integer, got '\(text)'")
        }
        return v
    }

    func boolValue(_ text: String, name: String, argument: String) throws -> Bool {
        switch text.lowercased() {
        case "yes", "true", "1", "on": return true
        case "no", "false", "0", "off": return false
        default: throw DataSourceError.invalidArgument(argument, reason: "\(name) must be yes or no, got '\(text)'")
        }
    }

    /// "LO-HI", e.g. "0.9-1.3".
    func scaleRange(_ text: String, argument: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: "-").map { Double(String($0)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo > 0, lo <= hi else {
            throw DataSourceError.invalidArgument(argument, reason: "scale must be LO-HI with 0 < LO <= HI, e.g. 0.9-1.3; got '\(text)'")
        }
        return lo...hi
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }

    /// "20_000" -> "20000".
    fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
