import Foundation

/// The model bundles the tools find without being given a path, in search order: the
/// built-in models (`EmbeddedModels`), then the `.aemodel` files of each model-path folder
/// in turn (`--model-path DIR`, then the folders of `AECODEC_MODEL_PATH`; each folder's
/// regular files by name). `aeenc --model SET` finds a quality set's levels here, `aedec`
/// and `aeinfo` the model a latent file names by its fingerprint. Bundles that do not read,
/// and training checkpoints, are passed over: a folder may hold anything.
public struct ModelCatalog: Sendable {
    /// The colon-separated folders searched after `--model-path`.
    public static let environmentVariable = "AECODEC_MODEL_PATH"

    /// The folders searched after the built-in models, in order.
    public let folders: [String]

    public init(folders: [String] = []) {
        self.folders = folders
    }

    /// `--model-path` folders, then those of `AECODEC_MODEL_PATH` in `environment` (empty
    /// entries skipped).
    public static func searchPath(modelPath: [String], environment: [String: String]) -> [String] {
        modelPath + (environment[environmentVariable] ?? "").split(separator: ":").map(String.init)
    }

    /// One bundle the catalog knows, by its metadata (read without its tensors).
    public struct Entry: Sendable {
        /// How messages name it: "built-in svhn-64", or the file's path.
        public let name: String
        /// The built-in model's name (`--model NAME`); nil for a file.
        public let builtInName: String?
        /// The file; nil for a built-in model.
        public let path: String?
        public let metadata: BundleMetadata

        /// The whole bundle, read and checked.
        public func bundle() throws -> ModelBundle {
            if let builtInName, let bundle = try EmbeddedModels.bundle(named: builtInName) { return bundle }
            return try ModelBundle.read(path: path ?? name)
        }
    }

    /// The `.aemodel` files of the folders, in search order.
    public var files: [String] {
        folders.flatMap { folder -> [String] in
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
            let base = folder.hasSuffix("/") ? folder : folder + "/"
            return names.sorted().filter { $0.lowercased().hasSuffix(".aemodel") }.map { base + $0 }
                .filter(FileBytes.isRegularFile)
        }
    }

    /// Every finished bundle, in search order (headers and metadata only).
    public func entries() -> [Entry] {
        let builtIn = EmbeddedModels.all.compactMap { e -> Entry? in
            guard let m = try? BundleContainer.readMetadata(e.bytes, path: "built-in \(e.name)").metadata,
                  m.kind == .model else { return nil }
            return Entry(name: "built-in \(e.name)", builtInName: e.name, path: nil, metadata: m)
        }
        let found = files.compactMap { path -> Entry? in
            guard let m = try? BundleContainer.readMetadata(path: path).metadata, m.kind == .model else { return nil }
            return Entry(name: path, builtInName: nil, path: path, metadata: m)
        }
        return builtIn + found
    }

    /// The first bundle whose fingerprint starts with `prefix` (a latent file's 8 bytes, or
    /// all 16), and the bundle itself; nil when none does. Reads whole bundles in search
    /// order until one matches.
    public func find(fingerprintPrefix prefix: [UInt8]) -> (entry: Entry, bundle: ModelBundle)? {
        guard !prefix.isEmpty else { return nil }
        if let name = EmbeddedModels.name(matching: prefix), let bundle = try? EmbeddedModels.bundle(named: name) {
            return (Entry(name: "built-in \(name)", builtInName: name, path: nil, metadata: bundle.metadata), bundle)
        }
        for path in files {
            // The fingerprint from the stored bytes; only the match is decoded.
            guard let container = try? BundleContainer.read(path: path), !container.header.isCheckpoint,
                  ModelFingerprint.bytes(of: container).starts(with: prefix),
                  let bundle = try? ModelBundle(container: container, path: path) else { continue }
            return (Entry(name: path, builtInName: nil, path: path, metadata: bundle.metadata), bundle)
        }
        return nil
    }

    /// The quality sets among the bundles, by name.
    public func qualitySets() -> [QualitySet] { QualitySet.group(entries()) }

    /// The quality set called `name`; nil when no bundle claims a level of it.
    public func qualitySet(named name: String) -> QualitySet? {
        qualitySets().first { $0.name == name }
    }

    /// "the built-in models, a, b" (the places searched, for messages).
    public var placesSearched: String {
        (["the built-in models (\(EmbeddedModels.names.joined(separator: ", ")))"] + folders).joined(separator: ", ")
    }
}

/// The levels of one quality set (`BundleMetadata.QualityInfo`) the catalog found: one
/// bundle per level number, level 1 the smallest files. When two bundles claim the same
/// level, the first in search order is used (built-in models before `--model-path`
/// folders before `AECODEC_MODEL_PATH`), as a command is found first on a PATH.
public struct QualitySet: Sendable {
    public let name: String
    /// Ascending by level; never empty.
    public let levels: [ModelCatalog.Entry]
    /// Bundles claiming a level an earlier one already has (not used).
    public let shadowed: [ModelCatalog.Entry]

    /// The level `aeenc` uses without `-q`: the middle one (the upper of two middles:
    /// level 4 of 1...6, level 2 of 1...3).
    public var defaultLevel: ModelCatalog.Entry { levels[levels.count / 2] }

    /// The bundle of level `number`, if the set has it.
    public func level(_ number: Int) -> ModelCatalog.Entry? {
        levels.first { $0.metadata.quality?.level == number }
    }

    /// The level numbers, ascending.
    public var numbers: [Int] { levels.compactMap { $0.metadata.quality?.level } }

    /// "1, 2, 3".
    public var numberList: String { numbers.map(String.init).joined(separator: ", ") }

    /// The sets of `entries` (in search order), by name.
    public static func group(_ entries: [ModelCatalog.Entry]) -> [QualitySet] {
        var byName: [String: (levels: [Int: ModelCatalog.Entry], shadowed: [ModelCatalog.Entry])] = [:]
        for entry in entries {
            guard let q = entry.metadata.quality else { continue }
            var set = byName[q.set] ?? ([:], [])
            if set.levels[q.level] == nil { set.levels[q.level] = entry } else { set.shadowed.append(entry) }
            byName[q.set] = set
        }
        return byName.keys.sorted().map { name in
            let set = byName[name]!
            return QualitySet(name: name, levels: set.levels.keys.sorted().map { set.levels[$0]! }, shadowed: set.shadowed)
        }
    }
}
