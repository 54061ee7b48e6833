/// A dense float32 tensor in row-major order. Image batches are NHWC:
/// `[batch, height, width, channels]`.
///
/// Storage is a Swift array (copy-on-write value semantics); hot loops reach it
/// through `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer`.
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var data: [Float]

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: Tensor.elementCount(shape))
    }

    public init(shape: [Int], data: [Float]) {
        precondition(Tensor.elementCount(shape) == data.count,
                     "Tensor shape \(shape) needs \(Tensor.elementCount(shape)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor whose contents are written by `fill` before anyone reads them
    /// (avoids zeroing large activations that are about to be overwritten).
    public init(uninitializedShape shape: [Int],
                fill: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let n = Tensor.elementCount(shape)
        self.shape = shape
        self.data = [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            fill(buffer)
            initialized = n
        }
    }

    public static func elementCount(_ shape: [Int]) -> Int {
        shape.reduce(1, *)
    }

    /// The same values viewed with another shape of equal size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Batch size: the first dimension.
    public var batch: Int { shape.first ?? 0 }

    /// Number of values per sample (all dimensions but the first).
    public var sampleSize: Int { shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1 }

    /// Samples `range` of the batch, as a new tensor.
    public func slice(batch range: Range<Int>) -> Tensor {
        let s = sampleSize
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape, data: Array(data[(range.lowerBound * s)..<(range.upperBound * s)]))
    }

    public subscript(flat index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }
}
