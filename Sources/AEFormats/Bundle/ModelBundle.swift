/// A model bundle (.aemodel): everything needed to encode and decode with a trained
/// model — metadata (architecture, pixel normalisation, provenance, metrics) and the
/// named weight tensors, plus optimizer state when it is a training checkpoint.
/// The file format is specified in Specs/model-bundle.md.
public struct ModelBundle {
    public static let fileExtension = "aemodel"

    public var metadata: BundleMetadata
    /// Weights in the model's parameter order, then (checkpoints) optimizer state.
    public var tensors: [BundleTensor]
    /// The file this bundle was read from, if any (named in errors).
    public var path: String?

    public init(metadata: BundleMetadata, tensors: [BundleTensor], path: String? = nil) {
        self.metadata = metadata
        self.tensors = tensors
        self.path = path
    }

    /// The tensor called `name`.
    public subscript(name: String) -> BundleTensor? {
        tensors.first { $0.name == name }
    }

    public var weightTensors: [BundleTensor] { tensors.filter(\.isWeight) }

    /// The element type of the weights (float32 unless every weight is float16).
    public var weightType: BundleElementType {
        let w = tensors.filter(\.followsWeightStorage)
        return !w.isEmpty && w.allSatisfy { $0.elementType == .f16 } ? .f16 : .f32
    }

    /// The model fingerprint of the weights as held (see `ModelFingerprint`).
    public var fingerprint: String { ModelFingerprint.hex(of: tensors) }

    /// The fingerprint the bundle would have with its weights stored as `weights`.
    public func fingerprint(weights: BundleElementType) -> String {
        ModelFingerprint.hex(of: storedTensors(weights: weights))
    }

    public var displayPath: String { path ?? "<memory>" }

    // MARK: - Latent quantisation table

    /// Names of the per-dimension table of `.uint8` latents (format 1.2; float32, shape [latentDim]).
    public static let quantizationScaleName = BundleTensor.quantizationPrefix + "scale"
    public static let quantizationOffsetName = BundleTensor.quantizationPrefix + "offset"

    /// The latent quantisation table (`aeenc --bits 8`), when the bundle holds one:
    /// `value = offset[d] + scale[d] * byte`. Not part of the fingerprint.
    public var quantization: LatentQuantization? {
        guard let s = self[Self.quantizationScaleName], let o = self[Self.quantizationOffsetName] else { return nil }
        return LatentQuantization(scale: s.values, offset: o.values)
    }

    /// This bundle with `table` as its quantisation table (nil: without one). The weights,
    /// and so the fingerprint, are unchanged.
    public func withQuantization(_ table: LatentQuantization?) -> ModelBundle {
        var b = self
        b.tensors.removeAll { $0.name.hasPrefix(BundleTensor.quantizationPrefix) }
        if let table {
            b.tensors.append(BundleTensor(name: Self.quantizationScaleName, shape: [table.scale.count], values: table.scale))
            b.tensors.append(BundleTensor(name: Self.quantizationOffsetName, shape: [table.offset.count], values: table.offset))
        }
        return b
    }

    /// The tensors as `write(weights:)` stores them: weights as `weights`, optimizer
    /// state and the quantisation table always float32.
    func storedTensors(weights: BundleElementType) -> [BundleTensor] {
        tensors.map { $0.stored(as: $0.followsWeightStorage ? weights : .f32) }
    }

    // MARK: - Encoding

    /// The bundle's bytes with weights stored as `weights`.
    /// Refuses float16 for checkpoints (resuming must be exact) and for weights beyond
    /// float16's range.
    public func encoded(weights: BundleElementType = .f32) throws -> [UInt8] {
        let isCheckpoint = metadata.kind == .checkpoint
        guard isCheckpoint == (metadata.checkpoint != nil) else {
            throw BundleError.invalidRequest(path: displayPath, reason:
                "metadata kind \(metadata.kind.rawValue) does not match the presence of checkpoint information")
        }
        if weights == .f16 {
            guard !isCheckpoint else {
                throw BundleError.invalidRequest(path: displayPath, reason:
                    "a checkpoint keeps float32 weights so training resumes exactly; write it with float32 weights")
            }
            for t in tensors where t.followsWeightStorage {
                if let v = t.values.first(where: { $0.isFinite && abs($0) > Float(Float16.greatestFiniteMagnitude) }) {
                    throw BundleError.invalidRequest(path: displayPath, reason:
                        "tensor \(t.name) holds \(v), outside the float16 range; store the weights as float32")
                }
            }
        }
        let payloads = storedTensors(weights: weights).map {
            BundleContainer.Payload(name: $0.name, elementType: $0.elementType, shape: $0.shape, bytes: $0.bytes)
        }
        try metadata.quality?.check(path: displayPath)
        if let q = quantization {
            try LatentFileCodec.checkQuantization(q, latentDim: metadata.architecture.latentDim,
                                                  path: displayPath, request: true)
        }
        // Writers use the lowest version with the features they need: 1.8 for a hyperprior
        // (entropy model kind "hyperprior", layer parts hyper-analysis and hyper-synthesis,
        // the tensor entropy/scale), 1.7 for the key of gradient clipping, 1.6 for the keys
        // of denoising, variational and conditional training, 1.5 for the metadata key
        // quality or training.distortion, 1.4 for an entropy model (metadata
        // architecture.entropyModel, tensors under prior/ and entropy/), 1.3 for the
        // metadata key source, 1.2 for a quantisation table (tensors under quantization/),
        // 1.1 for a learning-rate schedule (metadata key optimizer.finalLearningRate), else 1.0.
        let minor: UInt16 = metadata.usesVersion18Keys ? 8 : metadata.usesVersion17Keys ? 7 : metadata.usesVersion16Keys ? 6
            : metadata.quality != nil || metadata.training?.distortion != nil ? 5
            : metadata.architecture.entropyModel != nil ? 4
            : metadata.source != nil ? 3 : quantization != nil ? 2
            : metadata.training?.optimizer.finalLearningRate == nil ? 0 : 1
        return BundleContainer.assemble(metadataJSON: try metadata.jsonBytes(), tensors: payloads,
                                        flags: isCheckpoint ? BundleHeader.checkpointFlag : 0,
                                        minorVersion: minor)
    }

    /// Writes the bundle atomically (temporary file in the same folder, then renamed).
    /// Refuses to replace an existing file unless `force`. Returns the fingerprint written.
    @discardableResult
    public func write(to path: String, weights: BundleElementType = .f32, force: Bool = false) throws -> String {
        var named = self
        named.path = path
        let bytes = try named.encoded(weights: weights)
        do {
            try AtomicFile.store(bytes, at: path, force: force)
        } catch let error as FileError {
            throw BundleError(error)
        }
        return named.fingerprint(weights: weights)
    }

    // MARK: - Decoding

    /// Reads and checks the bundle at `path` (signature, version, sizes, checksums,
    /// tensor table, metadata). Float16 tensors are converted to float32.
    public static func read(path: String) throws -> ModelBundle {
        try ModelBundle(container: BundleContainer.read(path: path), path: path)
    }

    /// Decodes a bundle held in memory; `path` names it in errors.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>") throws -> ModelBundle {
        try ModelBundle(container: BundleContainer.parse(bytes, path: path), path: path)
    }

    /// The bundle in a checked container.
    public init(container: BundleContainer, path: String) throws {
        let metadata = try BundleMetadata.decode(container.metadataBytes, path: path)
        let flagged = container.header.isCheckpoint
        guard flagged == (metadata.kind == .checkpoint), flagged == (metadata.checkpoint != nil) else {
            throw BundleError.invalidMetadata(path: path, reason:
                "the header \(flagged ? "flags" : "does not flag") a checkpoint but the metadata kind is \"\(metadata.kind.rawValue)\"\(metadata.checkpoint == nil ? " without" : " with") a checkpoint section")
        }
        let tensors = container.entries.map {
            BundleTensor(name: $0.name, shape: $0.shape, values: container.values(of: $0), elementType: $0.elementType)
        }
        self.init(metadata: metadata, tensors: tensors, path: path)
    }
}
