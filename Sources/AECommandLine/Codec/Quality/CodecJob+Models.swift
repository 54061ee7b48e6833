import AECodec
import AEFormats

/// Which models a codec run uses: the bundle `--model` names, a level of a quality set
/// (`-q`), all of a set's levels (a size or PSNR target), or, decoding without `--model`,
/// the model each file names.
extension CodecJob {
    /// The models of a run, read once and shared by its workers.
    struct RunModels {
        /// The model every worker builds first: the named one, the level `-q` picks (or the
        /// set's default), or the model of the first input file.
        var main: LoadedModel
        /// With a target: every level of the set, ascending.
        var levels: [LoadedModel] = []
        /// Decoding: how files of other models find theirs (nil: they are refused).
        var finder: ModelFinder? = nil
        /// The bundle files read (never to be overwritten by an output).
        var files: [String] = []
    }

    /// The models `settings.model` (nil: the default model) names, with `qualityLevel` and
    /// `target` applied. Throws `CodecUsageError` for a level the set lacks, or a level
    /// option with a single model.
    func resolveModels() throws -> RunModels {
        let choice = try ModelLookup.resolve(settings.model, folders: settings.modelSearchPath)
        let levelOption = settings.target?.option ?? settings.qualityLevel.map { "-q \($0)" }
        switch choice {
        case let .model(bundle, name):
            if let option = levelOption {
                throw CodecUsageError(option: option, reason: "chooses among the levels of a quality set, and \(name) is "
                    + "a single model: name a set with --model SET (aeinfo --models lists them)")
            }
            return RunModels(main: LoadedModel(bundle: bundle, name: name), files: settings.model.map { [$0] } ?? [])
        case let .set(set):
            if settings.direction == .decode {
                // aedec --model SET: each file's level among the set's.
                let levels = try set.levels.map { LoadedModel(bundle: try $0.bundle(), name: $0.name) }
                return RunModels(main: levels[levels.count / 2],
                                 finder: ModelFinder(candidates: levels, folders: settings.modelSearchPath, setName: set.name),
                                 files: set.levels.compactMap(\.path))
            }
            if let target = settings.target {
                if let latent = settings.latent, latent != .coded {
                    throw CodecUsageError(option: target.option, reason: "searches the levels' entropy-coded files; "
                        + "leave out --latent \(latent.rawValue)")
                }
                let levels = try set.levels.map { LoadedModel(bundle: try $0.bundle(), name: $0.name) }
                for level in levels where try EntropyTables(bundle: level.bundle) == nil {
                    throw ToolError(path: level.name, reason: "is \(level.bundle.metadata.quality?.label ?? "a level"), "
                        + "but has no entropy tables, so \(target.option) cannot search it")
                }
                return RunModels(main: levels[levels.count / 2], levels: levels, files: set.levels.compactMap(\.path))
            }
            let entry: ModelCatalog.Entry
            if let number = settings.qualityLevel {
                guard let found = set.level(number) else {
                    throw CodecUsageError(option: "-q \(number)", reason: "the quality set \(set.name) has no level "
                        + "\(number) (its levels: \(set.numberList))")
                }
                entry = found
            } else {
                entry = set.defaultLevel
            }
            return RunModels(main: LoadedModel(bundle: try entry.bundle(), name: entry.name), files: entry.path.map { [$0] } ?? [])
        }
    }

    /// The models of a decoding run without `model`: first the model whose fingerprint the
    /// first input file names (among the built-in models and in the `modelSearchPath`
    /// folders), else the default model; each other file's model is looked up the same way
    /// when its turn comes (an unknown one is that file's error, naming the places searched).
    func models(for tasks: [Task]) throws -> RunModels {
        let finder = ModelFinder(candidates: nil, folders: settings.modelSearchPath)
        let firstFile = tasks.lazy.compactMap { task -> String? in
            if case .file(let path) = task.input { return path } else { return nil }
        }.first
        if let path = firstFile, let prefix = FileBytes.prefix(path, count: 5 + LatentFile.fingerprintLength),
           prefix.count == 5 + LatentFile.fingerprintLength, prefix.starts(with: LatentFile.magic),
           let found = finder.find(Array(prefix[5...])) {
            return RunModels(main: found, finder: finder)
        }
        let (bundle, name) = try ModelLookup.load(nil)
        return RunModels(main: LoadedModel(bundle: bundle, name: name), finder: finder)
    }
}

/// A bad combination of options or values that only the model search can tell (a level
/// the set does not have, a level option with a single model): a usage error, exit 64.
public struct CodecUsageError: PathReportable, CustomStringConvertible {
    /// The option as given, e.g. "-q 9".
    public let option: String
    public let reason: String

    public var path: String { option }
    public var description: String { "\(option): \(reason)" }
}
