import AEProcess
import AEBase
import AECodec
import AEData
import AEFormats
import AENet
import Foundation

/// The runs that rewrite a finished bundle instead of training: its latent quantisation
/// table (`--quantize-from`) and its quality record (`--stamp-quality`).
extension TrainingJob {
    /// The `--quantize-from` run: reads the bundle `settings.quantizeFrom`, measures its
    /// latent quantisation table on the training data (with `limit` and `shuffleData`) and
    /// writes the bundle with the table to `settings.output`, weights stored as they were
    /// (so the fingerprint, which does not cover the table, stays the same).
    /// Returns the output path, the fingerprint and the table.
    public func quantize(output: TerminalOutput) throws -> (path: String, fingerprint: String, table: LatentQuantization) {
        guard let source = settings.quantizeFrom else { throw ToolError(path: "--quantize-from", reason: "no model given") }
        try checkSettings()
        let out = settings.output
        guard !out.isEmpty else { throw ToolError(path: "-o", reason: "no output path given") }
        if FileBytes.kind(of: out).exists && !settings.force {
            throw ToolError(path: out, reason: FileErrorText.alreadyExists)
        }
        try checkNotRead([out])
        let (bundle, _) = try ModelLookup.load(source)
        guard !bundle.isCheckpoint else {
            throw ToolError(path: source, reason: "is a training checkpoint, not a finished model bundle")
        }
        let model = try bundle.makeModel(threads: settings.threads)
        guard model.conditionClasses == nil else {
            throw ToolError(path: source, reason: "is a conditional model: encoding needs each image's class, which a picture does not carry: no quantisation table (it is no codec model)")
        }
        let specs = try settings.data.flatMap { try DataSourceSpec.parse($0) }
        let train = try DataSource.load(specs: specs, limit: settings.limit,
                                        shuffleSeed: settings.shuffleData ? settings.initSeed : nil,
                                        seed: settings.initSeed, threads: settings.threads)
        guard train.images.count > 0 else {
            throw ToolError(path: settings.data.joined(separator: " "), reason: "the data set is empty")
        }
        output.line("Data: \(train.images.count) images (\(TrainingJob.describe(train)))")
        let table = LatentQuantization.measure(model: model, images: train.images)
        var quantized = bundle.withQuantization(table)
        if let quality = settings.quality { quantized.metadata.quality = quality }
        let fingerprint = try quantized.write(to: out, weights: settings.weights ?? bundle.weightType, force: settings.force)
        return (out, fingerprint, table)
    }

    /// The `--stamp-quality` run: reads the bundle `settings.stampQuality` and writes it to
    /// `settings.output` with `settings.quality` as its metadata's `quality` (replacing any),
    /// everything else as it was: the metadata keeps its provenance and time, the weights
    /// their storage, and so the fingerprint (which covers the weights only) is unchanged
    /// and every latent file made with the bundle still decodes with the new one. With
    /// `settings.weights` set to another storage (float16 for a shipped level at half the
    /// size) the weights are converted, and the fingerprint is the converted bundle's.
    /// Returns the output path, the fingerprint, and the source's fingerprint.
    public func stamp() throws -> (path: String, fingerprint: String, sourceFingerprint: String) {
        guard let source = settings.stampQuality else { throw ToolError(path: "--stamp-quality", reason: "no model given") }
        guard let quality = settings.quality else {
            throw ToolError(path: "--stamp-quality", reason: "give the level with --quality-set SET --quality-level N")
        }
        let out = settings.output
        guard !out.isEmpty else { throw ToolError(path: "-o", reason: "no output path given") }
        if FileBytes.kind(of: out).exists && !settings.force {
            throw ToolError(path: out, reason: FileErrorText.alreadyExists)
        }
        try checkNotRead([out])
        var bundle = try ModelBundle.read(path: source)
        guard !bundle.isCheckpoint else {
            throw ToolError(path: source, reason: "is a training checkpoint, not a finished model bundle")
        }
        let before = bundle.fingerprint
        let storage = settings.weights ?? bundle.weightType
        bundle.metadata.quality = quality
        let fingerprint = try bundle.write(to: out, weights: storage, force: settings.force)
        precondition(storage != bundle.weightType || fingerprint == before, "the fingerprint covers the weights only")
        return (out, fingerprint, before)
    }
}
