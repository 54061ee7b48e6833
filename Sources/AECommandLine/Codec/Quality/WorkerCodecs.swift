import AECodec
import AEFormats

/// The codecs one worker of a codec run uses: the run's model (`main`), and the models it
/// builds on first use, each once: the levels of a quality set (`aeenc` with a size or
/// PSNR target) and the models that other input files name (`aedec` without `--model`, or
/// with a set). One per worker thread, like the codecs it holds.
final class WorkerCodecs {
    let main: ModelCodec
    /// The run's quality levels, ascending (empty without a target).
    let levels: [CodecJob.LoadedModel]
    /// Decoding: where the model of a file `main` did not make is looked for; nil refuses
    /// such a file (a `--model` was named).
    let finder: ModelFinder?
    private let threads: Int
    /// Latent refinement steps of every codec built (`ModelCodec`).
    private let effort: Int
    private var levelCodecs: [Int: ModelCodec] = [:]
    /// Codecs of other files' models, and the fingerprints found nowhere, by hex fingerprint.
    private var found: [String: ModelCodec] = [:]
    private var missing: Set<String> = []

    init(main: ModelCodec, levels: [CodecJob.LoadedModel] = [], finder: ModelFinder? = nil, threads: Int,
         effort: Int = 0) {
        self.main = main
        self.effort = effort
        self.levels = levels
        self.finder = finder
        self.threads = threads
    }

    var shouldStop: @Sendable () -> Bool = { false } {
        didSet {
            main.shouldStop = shouldStop
            for codec in Array(levelCodecs.values) + Array(found.values) { codec.shouldStop = shouldStop }
        }
    }

    /// The codec of level `index` (into `levels`).
    func level(_ index: Int) throws -> ModelCodec {
        if let codec = levelCodecs[index] { return codec }
        let model = levels[index]
        // The run's main model is one of the levels (the default one): not built twice.
        let codec = model.name == main.modelName && model.fingerprint == main.fingerprint ? main : try make(model)
        levelCodecs[index] = codec
        return codec
    }

    /// The codec for a file whose model fingerprint (its 8 bytes) is `fileFingerprint`:
    /// `main` when it made the file, else the model the finder finds. Throws the model
    /// mismatch (no finder) or the places searched (not found), naming `path`.
    func codec(forFile fileFingerprint: [UInt8], path: String) throws -> ModelCodec {
        if main.made(fileFingerprint: fileFingerprint) { return main }
        guard let finder else { throw main.modelMismatch(path: path, fileFingerprint: fileFingerprint) }
        let key = SHA256.hex(fileFingerprint)
        if let codec = found[key] { return codec }
        guard !missing.contains(key), let model = finder.find(fileFingerprint) else {
            missing.insert(key)
            throw finder.notFound(fileFingerprint, path: path)
        }
        let codec = try make(model)
        found[key] = codec
        return codec
    }

    /// Whether one of the run's levels made a file with this fingerprint (8 bytes).
    func levelIndex(madeBy fileFingerprint: [UInt8]) -> Int? {
        let hex = SHA256.hex(fileFingerprint)
        return levels.firstIndex { $0.fingerprint.hasPrefix(hex) }
    }

    private func make(_ model: CodecJob.LoadedModel) throws -> ModelCodec {
        let codec = try ModelCodec(bundle: model.bundle, name: model.name, threads: threads, effort: effort)
        codec.shouldStop = shouldStop
        return codec
    }
}

/// How a decoding run finds the model of a file that is not its main model's: among
/// `candidates` (the levels of a `--model SET`), or in the catalog of built-in models and
/// model-path folders.
struct ModelFinder {
    /// The only models to consider; nil: the catalog.
    var candidates: [CodecJob.LoadedModel]?
    var folders: [String]
    /// The set `candidates` are the levels of (for messages).
    var setName: String?

    func find(_ fileFingerprint: [UInt8]) -> CodecJob.LoadedModel? {
        if let candidates {
            let hex = SHA256.hex(fileFingerprint)
            return candidates.first { $0.fingerprint.hasPrefix(hex) }
        }
        return ModelCatalog(folders: folders).find(fingerprintPrefix: fileFingerprint).map {
            CodecJob.LoadedModel(bundle: $0.bundle, name: $0.entry.name)
        }
    }

    func notFound(_ fileFingerprint: [UInt8], path: String) -> Error {
        let model = SHA256.hex(fileFingerprint)
        if let candidates, let setName {
            let levels = candidates.compactMap { $0.bundle.metadata.quality.map { String($0.level) } }.joined(separator: ", ")
            return ToolError(path: path, reason: "was encoded with model \(model), which is no level of the quality set "
                + "\(setName) (levels \(levels)); leave out --model to search every model")
        }
        return ToolError(path: path, reason: "was encoded with model \(model), which is in none of the places searched: "
            + "\(ModelCatalog(folders: folders).placesSearched); name its bundle with --model PATH or add its folder "
            + "with --model-path DIR or AECODEC_MODEL_PATH")
    }
}
