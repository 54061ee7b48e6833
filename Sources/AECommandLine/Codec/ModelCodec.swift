import AECodec
import AEFormats

/// What one model can do in a codec run: write and read format 1.x files through its
/// tiles (`ImageCodec`; the reference family) and format 2.0 entropy-coded files
/// (`EntropyCodec`; any family whose bundle has entropy tables). At least one of the two.
/// Like the codecs it holds, one per worker thread.
final class ModelCodec {
    let tiles: ImageCodec?
    let coded: EntropyCodec?
    let fingerprint: String
    let fingerprintBytes: [UInt8]
    let modelName: String
    /// The model's level in its quality set, when its bundle records one.
    let quality: BundleMetadata.QualityInfo?

    /// `effort`: latent refinement steps for a whole-image model (`EntropyCodec.refineLatents`;
    /// ignored by tile models, which `aeenc` refuses with an effort).
    init(bundle: ModelBundle, name: String, threads: Int, effort: Int = 0) throws {
        if try EntropyTables(bundle: bundle) != nil {
            let coded = try EntropyCodec(bundle: bundle, name: name, threads: threads)
            if effort > 0 && coded.codesWholeImages { try coded.refineLatents(steps: effort) }
            self.coded = coded
            tiles = coded.imageCodec
        } else {
            coded = nil
            tiles = try ImageCodec(bundle: bundle, name: name, threads: threads)
        }
        fingerprintBytes = coded?.fingerprintBytes ?? tiles!.fingerprintBytes
        fingerprint = SHA256.hex(fingerprintBytes)
        modelName = name
        quality = bundle.metadata.quality
    }

    var shouldStop: @Sendable () -> Bool = { false } {
        didSet {
            tiles?.shouldStop = shouldStop
            coded?.shouldStop = shouldStop
        }
    }

    /// Whether a latent file's fingerprint (8 bytes) names this model.
    func made(fileFingerprint: [UInt8]) -> Bool {
        fileFingerprint.elementsEqual(fingerprintBytes.prefix(LatentFile.fingerprintLength))
    }

    /// The error for a file made by another model (naming the built-in model that made it, if one did).
    func modelMismatch(path: String, fileFingerprint: [UInt8]) -> CodecError {
        .modelMismatch(path: path, file: SHA256.hex(fileFingerprint), model: fingerprint, modelName: modelName,
                       suggestion: EmbeddedModels.name(matching: fileFingerprint))
    }

    /// The tiles codec, or why this model has none (a whole-image model writes only coded files).
    func tilesCodec(path: String) throws -> ImageCodec {
        guard let tiles else {
            throw CodecError.incompatible(path: path, reason:
                "the model \(modelName) codes whole images: it writes only entropy-coded latents (--latent coded)")
        }
        return tiles
    }

    /// The entropy codec, or why this model has none.
    func codedCodec(path: String) throws -> EntropyCodec {
        guard let coded else { throw CodecError.incompatible(path: path, reason: EntropyCodec.noTablesReason) }
        return coded
    }
}
