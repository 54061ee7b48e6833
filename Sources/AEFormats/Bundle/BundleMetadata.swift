import AEBase
import Foundation

/// The metadata section of a model bundle: a UTF-8 JSON object (schema in
/// Specs/model-bundle.md, "Metadata"). Keys are camelCase; readers ignore keys they
/// do not know, so later minor versions can add fields. Optional fields are omitted
/// when unknown. Non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
public struct BundleMetadata: Codable, Equatable, Sendable {
    /// "model" (weights only) or "checkpoint" (weights plus optimizer state).
    public var kind: Kind
    public var architecture: Architecture
    public var normalization: Normalization
    /// How the weights were trained; nil for an untrained model.
    public var training: TrainingProvenance?
    public var metrics: Metrics?
    /// Present exactly when `kind` is `.checkpoint`.
    public var checkpoint: CheckpointInfo?
    /// The program that wrote the bundle.
    public var tool: ToolInfo
    /// When the bundle was written, ISO 8601 UTC ("2025-01-31T12:00:00Z").
    public var createdAt: String?
    /// Format 1.3: the file a converted model's weights came from (nil for trained models).
    public var source: SourceInfo?
    /// Format 1.5: the model's place in a named set of quality levels (`aeenc --model SET -q N`).
    public var quality: QualityInfo?

    public enum Kind: String, Codable, Sendable {
        case model, checkpoint
    }

    public init(kind: Kind = .model, architecture: Architecture,
                normalization: Normalization = .unitRange,
                training: TrainingProvenance? = nil, metrics: Metrics? = nil,
                checkpoint: CheckpointInfo? = nil, tool: ToolInfo = ToolInfo(name: "aecodec"),
                createdAt: String? = BundleMetadata.timestamp()) {
        self.kind = kind
        self.architecture = architecture
        self.normalization = normalization
        self.training = training
        self.metrics = metrics
        self.checkpoint = checkpoint
        self.tool = tool
        self.createdAt = createdAt
    }

    /// The current time as ISO 8601 UTC, whole seconds.
    public static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: date)
    }

    // MARK: - Sections

    /// The network: enough to rebuild it and to check a rebuilt one against it.
    public struct Architecture: Codable, Equatable, Sendable {
        /// The model family that builds the network (`ModelFamily` in AECodec); "reference-svhn"
        /// is `ReferenceModel.build`.
        public var family: String
        /// Per-image input shape [height, width, channels].
        public var inputShape: [Int]
        public var latentDim: Int
        /// Activation of the hidden layers ("relu" in the reference model).
        public var hiddenActivation: String
        public var parameterCount: Int
        /// Every layer in order, encoder first.
        public var layers: [LayerInfo]
        /// Format 1.4: the learned density of the latent, for entropy-coded models.
        public var entropyModel: EntropyModelInfo?
        /// Format 1.6: a variant of the family, "variational" (the encoder's Dense gives
        /// means and log variances, a sampling step ends the encoder); nil: the plain family.
        public var variant: String?

        /// Format 1.6: a conditional model's number of classes: the one-hot label is fed to
        /// the encoder's and the decoder's Dense layers (`LabelConcat` layers); nil: unconditional.
        public var conditionClasses: Int?

        /// The `variant` of a variational autoencoder.
        public static let variationalVariant = "variational"

        /// The family of a bundle whose metadata has no `family` key.
        public static let referenceFamily = "reference-svhn"

        enum CodingKeys: String, CodingKey {
            case family, inputShape, latentDim, hiddenActivation, parameterCount, layers, entropyModel, variant
            case conditionClasses
        }

        /// Decodes the section; a missing `family` is the reference family.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            family = try c.decodeIfPresent(String.self, forKey: .family) ?? Self.referenceFamily
            inputShape = try c.decode([Int].self, forKey: .inputShape)
            latentDim = try c.decode(Int.self, forKey: .latentDim)
            hiddenActivation = try c.decode(String.self, forKey: .hiddenActivation)
            parameterCount = try c.decode(Int.self, forKey: .parameterCount)
            layers = try c.decode([LayerInfo].self, forKey: .layers)
            entropyModel = try c.decodeIfPresent(EntropyModelInfo.self, forKey: .entropyModel)
            variant = try c.decodeIfPresent(String.self, forKey: .variant)
            conditionClasses = try c.decodeIfPresent(Int.self, forKey: .conditionClasses)
        }

        public init(family: String, inputShape: [Int], latentDim: Int, hiddenActivation: String,
                    parameterCount: Int, layers: [LayerInfo], entropyModel: EntropyModelInfo? = nil,
                    variant: String? = nil, conditionClasses: Int? = nil) {
            self.family = family
            self.inputShape = inputShape
            self.latentDim = latentDim
            self.hiddenActivation = hiddenActivation
            self.parameterCount = parameterCount
            self.layers = layers
            self.entropyModel = entropyModel
            self.variant = variant
            self.conditionClasses = conditionClasses
        }

        /// Every trained tensor's name in the model's parameter order: the layers', then
        /// the entropy model's (not its auxiliary ones).
        public var parameterNames: [String] { layers.flatMap(\.parameters) + (entropyModel?.parameters ?? []) }
    }

    /// Format 1.4: a factorized prior (Balle et al. 2018) over the latent's channels (the
    /// last axis), whose density parameters are tensors named in `parameters` and whose
    /// quantiles (lower, median, upper per channel) are `auxiliaryParameters`.
    public struct EntropyModelInfo: Codable, Equatable, Sendable {
        /// "factorized", or (format 1.8) "hyperprior": a factorized prior over the hyper-latent
        /// z (`channels` of them) and a Gaussian conditional over the latent.
        public var kind: String
        public var channels: Int
        /// Widths of the density network's hidden layers, e.g. [3, 3, 3].
        public var filters: [Int]
        public var parameters: [String]
        public var auxiliaryParameters: [String]

        public static let factorized = "factorized"
        public static let hyperprior = "hyperprior"

        public init(kind: String = Self.factorized, channels: Int, filters: [Int], parameters: [String],
                    auxiliaryParameters: [String]) {
            self.kind = kind
            self.channels = channels
            self.filters = filters
            self.parameters = parameters
            self.auxiliaryParameters = auxiliaryParameters
        }
    }

    public struct LayerInfo: Codable, Equatable, Sendable {
        /// Which network a layer belongs to: the encoder, the decoder, or (format 1.8, family
        /// conv-hyperprior) the hyperprior's analysis or synthesis transform.
        public enum Part: String, Codable, Sendable {
            case encoder, decoder
            case hyperAnalysis = "hyper-analysis"
            case hyperSynthesis = "hyper-synthesis"
        }

        public var name: String
        /// Keras's class name: "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Reshape",
        /// "Conv2DTranspose", "UpSampling2D", "ReLU", "Activation".
        public var kind: String
        public var part: Part
        /// Per-sample shapes (no batch dimension).
        public var inputShape: [Int]
        public var outputShape: [Int]
        /// "linear", "relu" or "sigmoid" for layers with a fused activation; absent otherwise.
        public var activation: String?
        /// Names of the layer's weight tensors, in order (e.g. "conv2d/kernel", "conv2d/bias").
        public var parameters: [String]

        public init(name: String, kind: String, part: Part, inputShape: [Int], outputShape: [Int],
                    activation: String?, parameters: [String]) {
            self.name = name
            self.kind = kind
            self.part = part
            self.inputShape = inputShape
            self.outputShape = outputShape
            self.activation = activation
            self.parameters = parameters
        }
    }

    /// How pixels become network inputs, as stored: x = (pixel - offset) / scale, so 8-bit
    /// pixels map to [0, 1]; decoders invert it (clamping to the pixel range). The
    /// arithmetic itself is `pixelNormalization`'s (AEBase).
    public struct Normalization: Codable, Equatable, Sendable {
        public var scale: Double
        public var offset: Double
        /// Memory layout of an image batch: "NHWC".
        public var layout: String
        /// Channel order: "RGB".
        public var channels: String

        /// Refuses values that are not usable as float32 (spec 5.4): every consumer
        /// divides by `Float(scale)`.
        func check(path: String) throws {
            let largest = Double(Float.greatestFiniteMagnitude)
            guard scale >= Double(Float.leastNormalMagnitude) && scale <= largest else {
                throw BundleError.invalidMetadata(path: path, reason:
                    "normalization.scale \(scale) is not a positive normal float32 (1.1754944e-38 to 3.4028235e38)")
            }
            guard offset.isFinite && abs(offset) <= largest else {
                throw BundleError.invalidMetadata(path: path, reason: "normalization.offset \(offset) is not a finite float32")
            }
        }

        public static let unitRange = Normalization(scale: 255, offset: 0, layout: "NHWC", channels: "RGB")

        /// The arithmetic of these values (float32, as every consumer computes).
        public var pixelNormalization: PixelNormalization {
            PixelNormalization(scale: Float(scale), offset: Float(offset))
        }

        public init(scale: Double, offset: Double, layout: String, channels: String) {
            self.scale = scale
            self.offset = offset
            self.layout = layout
            self.channels = channels
        }
    }

    /// Where converted weights came from (`Scripts/keras2aemodel.py`), kept when the
    /// bundle is rewritten (for example by `aetrain --quantize-from`).
    public struct SourceInfo: Codable, Equatable, Sendable {
        /// The source file's name, without its folder.
        public var file: String
        /// SHA-256 of the source file, 64 lowercase hex digits.
        public var sha256: String
        /// "keras-v3" or "keras-h5".
        public var format: String
        public var kerasVersion: String?

        public init(file: String, sha256: String, format: String, kerasVersion: String? = nil) {
            self.file = file
            self.sha256 = sha256
            self.format = format
            self.kerasVersion = kerasVersion
        }
    }

    public struct ToolInfo: Codable, Equatable, Sendable {
        public var name: String
        public var version: String

        public init(name: String, version: String = AECodecVersion.string) {
            self.name = name
            self.version = version
        }
    }

    /// Whether the metadata describes a model of format 1.8: a hyperprior.
    public var usesVersion18Keys: Bool {
        architecture.entropyModel?.kind == EntropyModelInfo.hyperprior
            || architecture.layers.contains { $0.part == .hyperAnalysis || $0.part == .hyperSynthesis }
    }

    /// Whether the metadata holds a key added in format 1.7 (gradient clipping).
    public var usesVersion17Keys: Bool { training?.gradientClipNorm != nil }

    /// Whether the metadata holds a key added in format 1.6 (denoising, variational
    /// and conditional training).
    public var usesVersion16Keys: Bool {
        training?.inputNoise != nil || training?.beta != nil || architecture.variant != nil
            || architecture.conditionClasses != nil
            || (metrics?.epochs.contains { $0.trainKL != nil || $0.validationKL != nil } ?? false)
    }

    // MARK: - JSON

    static let nonFinite = (positive: "Infinity", negative: "-Infinity", nan: "NaN")

    /// Canonical JSON: sorted keys, pretty-printed, UTF-8.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: Self.nonFinite.positive, negativeInfinity: Self.nonFinite.negative, nan: Self.nonFinite.nan)
        return [UInt8](try encoder.encode(self))
    }

    /// Decodes metadata JSON, ignoring unknown keys.
    public static func decode(_ bytes: [UInt8], path: String) throws -> BundleMetadata {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw BundleError.invalidMetadata(path: path, reason: "not valid UTF-8")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positive, negativeInfinity: nonFinite.negative, nan: nonFinite.nan)
        do {
            let metadata = try decoder.decode(BundleMetadata.self, from: Data(bytes))
            try metadata.normalization.check(path: path)
            try metadata.quality?.check(path: path)
            return metadata
        } catch let error as BundleError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw BundleError.invalidMetadata(path: path, reason: "missing \(jsonPath(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw BundleError.invalidMetadata(path: path, reason: "wrong type at \(jsonPath(context.codingPath))")
        } catch let DecodingError.dataCorrupted(context) {
            let at = context.codingPath.isEmpty ? "" : " at \(jsonPath(context.codingPath))"
            throw BundleError.invalidMetadata(path: path, reason: "not valid JSON or bad value\(at): \(context.debugDescription)")
        } catch {
            throw BundleError.invalidMetadata(path: path, reason: "\(error)")
        }
    }

    /// "architecture.layers[3].activation" for a coding path; "(top level)" for none.
    static func jsonPath(_ keys: [CodingKey]) -> String {
        let path = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return path.isEmpty ? "(top level)" : String(path.drop { $0 == "." })
    }
}
