/// Keras's `padding` argument of a convolution.
public enum Padding: String, Sendable, CaseIterable {
    /// Zeros around the image so that the output has ceil(size / stride) pixels per axis;
    /// an odd total goes one more to the bottom / right (TensorFlow's rule).
    case same
    /// No padding: only windows that lie inside the image.
    case valid
}

/// One spatial axis of a strided convolution, as TensorFlow lays it out.
///
/// A convolution reads a `large` axis and writes a `small` one: output pixel o reads
/// large pixels o * stride - padBefore + (0..<kernel). A transposed convolution is
/// the same geometry run backwards (small in, large out): exactly the gradient of
/// the forward convolution with respect to its input, as `conv2d_transpose` is.
struct ConvolutionAxis: Equatable {
    let large: Int
    let small: Int
    let padBefore: Int

    /// The axis of a convolution reading `size` pixels; nil when the kernel does not
    /// fit ('valid' on fewer pixels than the kernel) or the size is not positive.
    init?(convolutionInput size: Int, kernel: Int, stride: Int, padding: Padding) {
        guard size > 0 else { return nil }
        let out: Int
        switch padding {
        case .same: out = (size + stride - 1) / stride
        case .valid:
            guard size >= kernel else { return nil }
            out = (size - kernel) / stride + 1
        }
        let padTotal = padding == .same ? max((out - 1) * stride + kernel - size, 0) : 0
        self.large = size
        self.small = out
        self.padBefore = padTotal / 2
    }

    /// The axis of a transposed convolution reading `size` pixels (Keras's
    /// output size without output_padding: size * stride for 'same',
    /// size * stride + max(kernel - stride, 0) for 'valid').
    init?(transposedInput size: Int, kernel: Int, stride: Int, padding: Padding) {
        guard size > 0 else { return nil }
        let large = padding == .same ? size * stride : size * stride + max(kernel - stride, 0)
        guard let axis = ConvolutionAxis(convolutionInput: large, kernel: kernel, stride: stride, padding: padding),
              axis.small == size else { return nil }
        self = axis
    }
}

/// The full geometry of one call of a 2-D convolution over an NHWC batch: the
/// large side (a convolution's input, a transposed convolution's output), the small
/// side, the kernel and stride. The weight is a [kernel, kernel, largeChannels,
/// smallChannels] array, which is Keras's Conv2D kernel (HWIO) and Keras's
/// Conv2DTranspose kernel (HWOI) alike.
struct ConvolutionGeometry: Equatable {
    let batch: Int
    let rows: ConvolutionAxis
    let columns: ConvolutionAxis
    let kernel: Int
    let stride: Int
    let largeChannels: Int
    let smallChannels: Int

    var largeHeight: Int { rows.large }
    var largeWidth: Int { columns.large }
    var smallHeight: Int { rows.small }
    var smallWidth: Int { columns.small }
    /// Columns of the im2col matrix: (kernel row, kernel column, large channel).
    var patchSize: Int { kernel * kernel * largeChannels }
    var largeCount: Int { batch * largeHeight * largeWidth * largeChannels }
    var smallCount: Int { batch * smallHeight * smallWidth * smallChannels }
    var smallPixels: Int { batch * smallHeight * smallWidth }
    var largePixels: Int { batch * largeHeight * largeWidth }
    /// A 1x1 stride-1 convolution: the im2col matrix is the large image itself.
    var isPointwise: Bool { kernel == 1 && stride == 1 }
}
