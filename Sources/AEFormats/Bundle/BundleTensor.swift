/// A named tensor of a model bundle, held as float32 values, with the element
/// type it was (or will be) stored as.
public struct BundleTensor: Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var values: [Float]
    public var elementType: BundleElementType

    /// Prefix of optimizer-state tensors in checkpoints; all other tensors are weights.
    public static let optimizerPrefix = "optimizer/"

    public init(name: String, shape: [Int], values: [Float], elementType: BundleElementType = .f32) {
        precondition(shape.reduce(1, *) == values.count, "\(name): shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        self.name = name
        self.shape = shape
        self.values = values
        self.elementType = elementType
    }

    /// Prefix of the latent quantisation table (`quantization/scale`, `quantization/offset`,
    /// since format 1.2): float32, not a weight, not part of the fingerprint.
    public static let quantizationPrefix = "quantization/"

    /// Prefix of the entropy tables (format 1.4, `EntropyTables`): weights for the
    /// fingerprint, but integers up to 65,536 that float16 cannot hold, so float32 in
    /// every bundle.
    public static let entropyTablePrefix = "entropy/"

    /// Whether this is a model weight (not optimizer state nor the quantisation table):
    /// it counts for the fingerprint.
    public var isWeight: Bool { Self.isWeight(name: name) }

    /// Whether a tensor called `name` is a model weight.
    public static func isWeight(name: String) -> Bool {
        !name.hasPrefix(optimizerPrefix) && !name.hasPrefix(quantizationPrefix)
    }

    /// Whether the tensor is stored as the bundle's weights are (`--weights`): every
    /// weight but the entropy tables, which stay float32.
    public var followsWeightStorage: Bool { isWeight && !name.hasPrefix(Self.entropyTablePrefix) }

    /// This tensor stored as `type` (float16 rounds to nearest, ties to even).
    public func stored(as type: BundleElementType) -> BundleTensor {
        var t = self
        if type == .f16 && elementType != .f16 { t.values = values.map { BundleElementType.widen(BundleElementType.half($0)) } }
        t.elementType = type
        return t
    }

    /// The stored bytes: `values` in `elementType`, little-endian.
    public var bytes: [UInt8] { elementType.encode(values) }
}
