/// How 8-bit pixels become network inputs and back: an input is
/// `x = (pixel - offset) / scale`, an output `x` becomes the pixel
/// `round(x * scale + offset)` clamped to 0...255.
///
/// This is the one place that arithmetic lives: training batches (`ImageSet.batch`),
/// the tile and whole-image codecs and the report all use it, so a model sees the same
/// float inputs in `aetrain` as in `aeenc`. Model bundles store it (as doubles) in their
/// metadata's `normalization`.
public struct PixelNormalization: Equatable, Sendable {
    public let scale: Float
    public let offset: Float

    public init(scale: Float, offset: Float) {
        precondition(scale.isFinite && scale > 0 && offset.isFinite, "bad pixel normalisation")
        self.scale = scale
        self.offset = offset
    }

    /// Pixels 0...255 to [0, 1], as every model here is trained.
    public static let unitRange = PixelNormalization(scale: 255, offset: 0)

    /// The network input of every 8-bit value (index = pixel value).
    public var table: [Float] { (0..<256).map { (Float($0) - offset) / scale } }

    /// A network output as a pixel: rounded to the nearest integer, clamped to 0...255
    /// (NaN becomes 0).
    @inline(__always)
    public func pixel(_ x: Float) -> UInt8 {
        let v = (x * scale + offset).rounded()
        if !(v > 0) { return 0 }
        return v >= 255 ? 255 : UInt8(v)
    }

    /// A network output on the [0, 1] pixel scale (pixel / 255) without rounding, for
    /// errors measured like the training loss; exactly `x` for `unitRange`.
    @inline(__always)
    public func unitInterval(_ x: Float) -> Float {
        self == .unitRange ? x : (x * scale + offset) / 255
    }
}
