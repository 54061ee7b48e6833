import CDNNL

/// One convolution layer's arithmetic on oneDNN's direct convolution kernels: Keras's
/// `Conv2D` (kernel HWIO) or `Conv2DTranspose` (kernel HWOI, oneDNN's deconvolution),
/// any odd kernel, stride 1 or 2, 'same' (TensorFlow's asymmetric padding) or 'valid',
/// bias and a fused activation (linear, ReLU, sigmoid), the same arithmetic as
/// `Convolution` and `TransposedConvolution`. Batch, height and width come with each
/// call; the primitives of each input shape are created on its first call and kept.
///
/// Layouts: activations stay NHWC in our `Tensor`s, which oneDNN reads and writes in
/// place. The kernel stays in its `Parameter` in Keras's layout (the model files' and
/// Adam's); oneDNN's kernels want it in a blocked layout of their own, so this object
/// keeps a copy in each layout a primitive asks for, made on first use after the
/// parameter's value changed (`Parameter.version`). The kernel gradient comes back in Keras's layout and is added
/// into `kernel.grad`, the bias gradient into `bias.grad`, as our layers do.
///
/// A stride-1 transposed convolution runs by default as the equal convolution with the
/// kernel flipped in both spatial axes and its channel axes swapped (oneDNN's forward
/// convolution kernels are faster than its deconvolution ones there: Benchmarks/dnnl_probe.md);
/// the flip is ours, on the kernel copy and on the gradient.
///
/// The activation's derivative is applied here, from the saved output (our workers,
/// elementwise), before oneDNN's backward passes. Threads: oneDNN runs on
/// `parallelism.threads` OpenMP threads (set before every call, see `OneDNNContext`);
/// our own workers are idle while it runs. Not thread-safe: one caller at a time.
public final class OneDNNConvolution {
    /// Output channels below which a layer is better left on our engine: oneDNN 2.6's
    /// kernels for 3 output channels (a model's last layer) ran at about 2/3 of its speed
    /// (the reference model's 32 -> 3 Conv2D: 31.7 ms of CPU a training step against 21.0,
    /// `aebench --layers`, 2 alternating rounds).
    public static let minimumFilters = 8

    /// Keras's Conv2DTranspose (oneDNN's deconvolution) rather than Conv2D.
    public let transposed: Bool
    /// A stride-1 transposed convolution run as a convolution with the flipped kernel.
    public let flipped: Bool
    public let inputChannels: Int
    public let filters: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Padding
    public let activation: Activation
    /// [k, k, inputChannels, filters] (HWIO), or transposed [k, k, filters, inputChannels] (HWOI).
    public let kernel: Parameter
    /// [filters].
    public let bias: Parameter
    public let parallelism: Parallelism
    private let context: OneDNNContext
    private var plans: [[Int]: Plan] = [:]
    private var weightCopies: [WeightCopy] = []
    /// The kernel (or its gradient) and the bias (or its gradient) in our layouts.
    private let ourKernel: OneDNNMemory
    private let ourBias: OneDNNMemory
    /// The flipped kernel [k, k, inputChannels, filters] (HWIO) when `flipped`, and whether it is current.
    private var flippedKernel: [Float] = []
    private var flippedKernelCurrent = false
    private let gradZ = ScratchBuffer()
    private let kernelGradient = ScratchBuffer()
    private let biasGradient = ScratchBuffer()

    /// The primitives of one input shape, and the memories that name our tensors.
    private final class Plan {
        let rows: ConvolutionAxis
        let columns: ConvolutionAxis
        let outputShape: [Int]
        /// NHWC, input-shaped (the input, its gradient) and output-shaped (the output, dL/d(pre-activation)).
        let input: OneDNNMemory
        let output: OneDNNMemory
        var passes: [Pass: OneDNNPrimitive] = [:]
        /// The kernel gradient in the layout backward-weights writes, and the reorder into ours.
        var kernelGradient: (memory: OneDNNMemory, reorder: OneDNNPrimitive)?

        init(rows: ConvolutionAxis, columns: ConvolutionAxis, outputShape: [Int], input: OneDNNMemory,
             output: OneDNNMemory) {
            self.rows = rows
            self.columns = columns
            self.outputShape = outputShape
            self.input = input
            self.output = output
        }
    }

    private enum Pass: Hashable { case trainingForward, inferenceForward, backwardData, backwardWeights }

    /// The kernel in a layout a primitive wants, and whether it holds the current values.
    private final class WeightCopy {
        let memory: OneDNNMemory
        let reorder: OneDNNPrimitive
        var current = false

        init(memory: OneDNNMemory, reorder: OneDNNPrimitive) {
            self.memory = memory
            self.reorder = reorder
        }
    }

    /// `kernel` and `bias` are the layer's parameters (their shapes as above); the
    /// activation is fused into the forward pass. `flipStrideOne` false runs a stride-1
    /// transposed convolution as oneDNN's deconvolution too.
    public init(context: OneDNNContext, transposed: Bool, inputChannels: Int, filters: Int, kernelSize: Int,
                stride: Int, padding: Padding, activation: Activation, kernel: Parameter, bias: Parameter,
                parallelism: Parallelism, flipStrideOne: Bool = true) throws {
        precondition(kernelSize > 0 && kernelSize % 2 == 1, "oneDNN convolution: kernel size must be odd")
        precondition(stride > 0 && inputChannels > 0 && filters > 0, "oneDNN convolution: stride and channels must be positive")
        let (a, b) = transposed ? (filters, inputChannels) : (inputChannels, filters)
        precondition(kernel.value.shape == [kernelSize, kernelSize, a, b], "\(kernel.name): shape \(kernel.value.shape)")
        precondition(bias.value.shape == [filters], "\(bias.name): shape \(bias.value.shape)")
        self.context = context
        self.transposed = transposed
        flipped = transposed && stride == 1 && flipStrideOne
        self.inputChannels = inputChannels
        self.filters = filters
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.activation = activation
        self.kernel = kernel
        self.bias = bias
        self.parallelism = parallelism
        ourKernel = try OneDNNMemory(Self.kernelLayout(deconvolution: transposed && !flipped,
                                                       inputChannels: inputChannels, filters: filters,
                                                       kernelSize: kernelSize),
                                     context, allocate: false, what: kernel.name)
        var biasLayout = dnnl_memory_desc_t()
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&biasLayout, 1, [Int64(filters)], dnnl_f32, dnnl_x),
                      "describing \(bias.name)")
        ourBias = try OneDNNMemory(biasLayout, context, allocate: false, what: bias.name)
    }

    /// Our kernel as oneDNN sees it: dims {out, in, height, width} (oneDNN's order),
    /// stored [k][k][in][out] (HWIO: Keras's Conv2D, or the flipped Conv2DTranspose), or
    /// for a deconvolution [k][k][out][in] (HWOI, Keras's Conv2DTranspose).
    private static func kernelLayout(deconvolution: Bool, inputChannels: Int, filters: Int,
                                     kernelSize k: Int) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let dims: [Int64] = [filters, inputChannels, k, k].map(Int64.init)
        if deconvolution {
            let strides: [Int64] = [inputChannels, 1, k * filters * inputChannels, filters * inputChannels].map(Int64.init)
            precondition(dnnl_memory_desc_init_by_strides(&md, 4, dims, dnnl_f32, strides) == dnnl_success)
        } else {
            precondition(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, dnnl_hwio) == dnnl_success)
        }
        return md
    }

    /// Marks the kernel copies stale (the kernel's value changed since they were made).
    private func markCopiesStale() {
        for copy in weightCopies { copy.current = false }
        flippedKernelCurrent = false
    }

    /// Calls `body(keras, flipped)` for every kernel entry: `keras` indexes K[i, j, o, c]
    /// in the Conv2DTranspose kernel (HWOI), `flipped` W[k-1-i, k-1-j, c, o] (HWIO).
    private func forEachFlippedEntry(_ body: (Int, Int) -> Void) {
        let (k, cout, cin) = (kernelSize, filters, inputChannels)
        for i in 0..<k { for j in 0..<k { for o in 0..<cout { for c in 0..<cin {
            body(((i * k + j) * cout + o) * cin + c, (((k - 1 - i) * k + (k - 1 - j)) * cin + c) * cout + o)
        } } } }
    }

    private func axis(_ size: Int) -> ConvolutionAxis? {
        transposed
            ? ConvolutionAxis(transposedInput: size, kernel: kernelSize, stride: stride, padding: padding)
            : ConvolutionAxis(convolutionInput: size, kernel: kernelSize, stride: stride, padding: padding)
    }

    /// The per-sample output shape for a per-sample input shape [height, width,
    /// channels], or nil when this geometry cannot take it.
    public func outputShape(for inputShape: [Int]) -> [Int]? {
        guard inputShape.count == 3, inputShape[2] == inputChannels,
              let rows = axis(inputShape[0]), let columns = axis(inputShape[1]) else { return nil }
        return transposed ? [rows.large, columns.large, filters] : [rows.small, columns.small, filters]
    }

    private var what: String {
        "\(transposed ? "Conv2DTranspose" : "Conv2D") \(kernelSize)x\(kernelSize) stride \(stride) "
            + "\(padding.rawValue) \(inputChannels)->\(filters)\(flipped ? " (flipped)" : "")"
    }

    private func plan(for shape: [Int]) throws -> Plan {
        if let plan = plans[shape] { return plan }
        guard shape.count == 4, shape[0] > 0, let sample = outputShape(for: Array(shape.dropFirst())),
              let rows = axis(shape[1]), let columns = axis(shape[2]) else {
            preconditionFailure("\(what): cannot take input shape \(shape)")
        }
        let outputShape = [shape[0]] + sample
        let plan = Plan(rows: rows, columns: columns, outputShape: outputShape,
                        input: try activationMemory(shape), output: try activationMemory(outputShape))
        plans[shape] = plan
        return plan
    }

    private func activationMemory(_ shape: [Int]) throws -> OneDNNMemory {
        var md = dnnl_memory_desc_t()
        let dims = [shape[0], shape[3], shape[1], shape[2]].map(Int64.init)  // oneDNN's order: N, C, H, W
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, 4, dims, dnnl_f32, dnnl_nhwc), "describing \(shape) for \(what)")
        return try OneDNNMemory(md, context, allocate: false, what: "\(shape) for \(what)")
    }

    /// The primitive of `pass` for `plan`, created on first use (a backward pass with
    /// the training forward pass as its hint).
    private func primitive(_ pass: Pass, _ plan: Plan) throws -> OneDNNPrimitive {
        if let primitive = plan.passes[pass] { return primitive }
        let hint = try pass == .backwardData || pass == .backwardWeights ? primitive(.trainingForward, plan) : nil
        let d = plan.input.descriptor.dims  // N, C, H, W
        let shape = "\(what) on \(d.0)x\(d.2)x\(d.3)x\(d.1)"
        let name = "\(pass) of \(shape)"
        var source = plan.input.descriptor
        var destination = plan.output.descriptor
        var bias = ourBias.descriptor
        var weights = dnnl_memory_desc_t()
        var dims = ourKernel.descriptor.dims
        try withUnsafePointer(to: &dims) {
            try $0.withMemoryRebound(to: Int64.self, capacity: 4) {
                try dnnlCheck(dnnl_memory_desc_init_by_tag(&weights, 4, $0, dnnl_f32, dnnl_format_tag_any),
                              "describing the kernel of \(name)")
            }
        }
        let strides: [Int64] = [Int64(stride), Int64(stride)]
        // oneDNN pads the large side; the right/bottom padding is whatever makes the sizes
        // meet. The flipped convolution reads the small side padded k-1-p where the
        // transposed one pads p (stride 1).
        let axes = [plan.rows, plan.columns]
        let after = axes.map { ($0.small - 1) * stride + kernelSize - $0.large - $0.padBefore }
        let padBefore = flipped ? axes.map { Int64(kernelSize - 1 - $0.padBefore) } : axes.map { Int64($0.padBefore) }
        let padAfter = flipped ? after.map { Int64(kernelSize - 1 - $0) } : after.map { Int64(max(0, $0)) }
        let deconvolution = transposed && !flipped
        let algorithm = deconvolution ? dnnl_deconvolution_direct : dnnl_convolution_direct
        var desc = dnnl_convolution_desc_t()
        let status: dnnl_status_t
        switch (pass, deconvolution) {
        case (.trainingForward, false), (.inferenceForward, false):
            status = dnnl_convolution_forward_desc_init(
                &desc, pass == .trainingForward ? dnnl_forward_training : dnnl_forward_inference, algorithm,
                &source, &weights, &bias, &destination, strides, padBefore, padAfter)
        case (.trainingForward, true), (.inferenceForward, true):
            status = dnnl_deconvolution_forward_desc_init(
                &desc, pass == .trainingForward ? dnnl_forward_training : dnnl_forward_inference, algorithm,
                &source, &weights, &bias, &destination, strides, padBefore, padAfter)
        case (.backwardData, false):
            status = dnnl_convolution_backward_data_desc_init(&desc, algorithm, &source, &weights, &destination,
                                                              strides, padBefore, padAfter)
        case (.backwardData, true):
            status = dnnl_deconvolution_backward_data_desc_init(&desc, algorithm, &source, &weights, &destination,
                                                                strides, padBefore, padAfter)
        case (.backwardWeights, false):
            status = dnnl_convolution_backward_weights_desc_init(&desc, algorithm, &source, &weights, &bias,
                                                                 &destination, strides, padBefore, padAfter)
        case (.backwardWeights, true):
            status = dnnl_deconvolution_backward_weights_desc_init(&desc, algorithm, &source, &weights, &bias,
                                                                   &destination, strides, padBefore, padAfter)
        }
        try dnnlCheck(status, "describing \(name)")
        let attributes = pass == .trainingForward || pass == .inferenceForward ? try activationAttributes() : nil
        defer { dnnl_primitive_attr_destroy(attributes) }
        let primitive = try withUnsafePointer(to: &desc) {
            try OneDNNPrimitive(operation: $0, attributes: attributes, hint: hint, context, what: name)
        }
        plan.passes[pass] = primitive
        return primitive
    }

    /// The fused activation as an eltwise post-op (nil for linear).
    private func activationAttributes() throws -> dnnl_primitive_attr_t? {
        let algorithm: dnnl_alg_kind_t
        switch activation {
        case .linear: return nil
        case .relu: algorithm = dnnl_eltwise_relu
        case .sigmoid: algorithm = dnnl_eltwise_logistic
        }
        var postOps: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&postOps), "creating post-ops for \(what)")
        defer { dnnl_post_ops_destroy(postOps) }
        try dnnlCheck(dnnl_post_ops_append_eltwise(postOps, 1, algorithm, 0, 0), "adding the activation of \(what)")
        var attributes: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attributes), "creating attributes for \(what)")
        let status = dnnl_primitive_attr_set_post_ops(attributes, postOps)
        guard status == dnnl_success else {
            dnnl_primitive_attr_destroy(attributes)
            try dnnlCheck(status, "setting the activation of \(what)")
            return nil
        }
        return attributes
    }

    /// The kernel's `Parameter.version` the copies were made from.
    private var copiedVersion: UInt64?

    /// The kernel in `layout`, reordered from the parameter when it is stale (any change of
    /// the parameter's value since the copy was made).
    private func weights(in layout: dnnl_memory_desc_t) throws -> OneDNNMemory {
        if copiedVersion != kernel.version {
            markCopiesStale()
            copiedVersion = kernel.version
        }
        let copy: WeightCopy
        if let existing = weightCopies.first(where: { $0.memory.hasLayout(layout) }) {
            copy = existing
        } else {
            copy = WeightCopy(memory: try OneDNNMemory(layout, context, allocate: true, what: "\(kernel.name) for oneDNN"),
                              reorder: try OneDNNPrimitive(reorderFrom: ourKernel.descriptor, to: layout, context,
                                                           what: "\(kernel.name) into oneDNN's layout"))
            weightCopies.append(copy)
        }
        if !copy.current {
            if flipped && !flippedKernelCurrent {
                flippedKernel = kernel.value.data
                kernel.value.data.withUnsafeBufferPointer { k in
                    flippedKernel.withUnsafeMutableBufferPointer { w in forEachFlippedEntry { w[$1] = k[$0] } }
                }
                flippedKernelCurrent = true
            }
            try (flipped ? flippedKernel : kernel.value.data).withUnsafeBufferPointer { k in
                try ourKernel.point(at: k.baseAddress!)
                try context.execute(copy.reorder, [(DNNL_ARG_FROM, ourKernel), (DNNL_ARG_TO, copy.memory)])
            }
            copy.current = true
        }
        return copy.memory
    }

    /// activation(input ⊛ kernel + bias) for a batch [n, height, width, inputChannels];
    /// `training` false runs oneDNN's inference primitive (the output is the same
    /// arithmetic; nothing is kept for a backward pass here either way).
    public func forward(_ input: Tensor, training: Bool = true) throws -> Tensor {
        OneDNNContext.useThreads(parallelism.threads)
        let plan = try plan(for: input.shape)
        let pass = try primitive(training ? .trainingForward : .inferenceForward, plan)
        let kernelCopy = try weights(in: pass.layout(of: DNNL_ARG_WEIGHTS))
        var failure: Error?
        let output = Tensor(uninitializedShape: plan.outputShape) { out in
            do {
                try input.data.withUnsafeBufferPointer { x in
                    try bias.value.data.withUnsafeBufferPointer { b in
                        try plan.input.point(at: x.baseAddress!)
                        try plan.output.point(at: out.baseAddress!)
                        try ourBias.point(at: b.baseAddress!)
                        try context.execute(pass, [(DNNL_ARG_SRC, plan.input), (DNNL_ARG_WEIGHTS, kernelCopy),
                                                   (DNNL_ARG_BIAS, ourBias), (DNNL_ARG_DST, plan.output)])
                    }
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return output
    }

    /// From `input`, the `output` its forward pass returned and dL/d(output): adds
    /// dL/d(kernel) into `kernel.grad` and dL/d(bias) into `bias.grad`, and returns
    /// dL/d(input) when asked (nil otherwise). `activationApplied`: `gradOutput` is already
    /// dL/d(pre-activation) (`ActivationDerivativeSkippingLayer`).
    public func backward(input: Tensor, output: Tensor, gradOutput: Tensor,
                         needInputGradient: Bool, activationApplied: Bool = false) throws -> Tensor? {
        OneDNNContext.useThreads(parallelism.threads)
        let plan = try plan(for: input.shape)
        precondition(output.shape == plan.outputShape && gradOutput.shape == plan.outputShape,
                     "\(what): output \(output.shape) and gradient \(gradOutput.shape) for input \(input.shape)")
        let weightsPass = try primitive(.backwardWeights, plan)
        let dataPass = try needInputGradient ? primitive(.backwardData, plan) : nil
        let gradient = try kernelGradientMemory(plan, weightsPass)
        return try gradOutput.data.withUnsafeBufferPointer { gy -> Tensor? in
            let gz = activation == .linear || activationApplied ? gy.baseAddress! : activationBackward(output, gy.baseAddress!)
            // dL/d(kernel) in oneDNN's layout, dL/d(bias) into scratch; then both added into ours.
            let gb = biasGradient.reserve(filters)
            try input.data.withUnsafeBufferPointer { x in
                try plan.input.point(at: x.baseAddress!)
                try plan.output.point(at: gz)
                try ourBias.point(at: gb)
                try context.execute(weightsPass, [(DNNL_ARG_SRC, plan.input), (DNNL_ARG_DIFF_DST, plan.output),
                                                  (DNNL_ARG_DIFF_WEIGHTS, gradient.memory),
                                                  (DNNL_ARG_DIFF_BIAS, ourBias)])
            }
            let gk = kernelGradient.reserve(kernel.grad.count)
            try ourKernel.point(at: gk)
            try context.execute(gradient.reorder, [(DNNL_ARG_FROM, gradient.memory), (DNNL_ARG_TO, ourKernel)])
            kernel.grad.data.withUnsafeMutableBufferPointer { k in
                if flipped {
                    forEachFlippedEntry { k[$0] += gk[$1] }
                } else {
                    for i in k.indices { k[i] += gk[i] }
                }
            }
            bias.grad.data.withUnsafeMutableBufferPointer { b in for i in b.indices { b[i] += gb[i] } }

            guard let dataPass else { return nil }
            let kernelCopy = try weights(in: dataPass.layout(of: DNNL_ARG_WEIGHTS))
            var failure: Error?
            let gradInput = Tensor(uninitializedShape: input.shape) { gx in
                do {
                    try plan.output.point(at: gz)
                    try plan.input.point(at: gx.baseAddress!)
                    try context.execute(dataPass, [(DNNL_ARG_DIFF_DST, plan.output), (DNNL_ARG_WEIGHTS, kernelCopy),
                                                   (DNNL_ARG_DIFF_SRC, plan.input)])
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            return gradInput
        }
    }

    /// The memory backward-weights writes the kernel gradient into, and its reorder into our layout.
    private func kernelGradientMemory(_ plan: Plan, _ pass: OneDNNPrimitive) throws
        -> (memory: OneDNNMemory, reorder: OneDNNPrimitive) {
        if let gradient = plan.kernelGradient { return gradient }
        let layout = pass.layout(of: DNNL_ARG_DIFF_WEIGHTS)
        let gradient = (memory: try OneDNNMemory(layout, context, allocate: true, what: "\(kernel.name) gradient"),
                        reorder: try OneDNNPrimitive(reorderFrom: layout, to: ourKernel.descriptor, context,
                                                     what: "\(kernel.name) gradient into our layout"))
        plan.kernelGradient = gradient
        return gradient
    }

    /// dL/d(pre-activation) from the saved output y and dL/d(output), into scratch
    /// (elementwise on our workers: the same values at any thread count).
    private func activationBackward(_ output: Tensor, _ gy: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let gz = gradZ.reserve(output.count)
        output.data.withUnsafeBufferPointer { y in
            let y = y.baseAddress!
            parallelism.forEachRange(output.count) { range, _ in
                switch activation {
                case .linear: for i in range { gz[i] = gy[i] }
                case .relu: for i in range { gz[i] = y[i] > 0 ? gy[i] : 0 }
                case .sigmoid: for i in range { gz[i] = gy[i] * y[i] * (1 - y[i]) }
                }
            }
        }
        return UnsafePointer(gz)
    }

    /// The implementations oneDNN chose for an input shape's passes created so far
    /// (e.g. "trainingForward: brgconv:avx512_core"), in pass order.
    func implementations(forInputShape shape: [Int]) -> [String] {
        guard let plan = plans[shape] else { return [] }
        let order: [Pass] = [.trainingForward, .inferenceForward, .backwardData, .backwardWeights]
        return order.compactMap { pass in plan.passes[pass].map { "\(pass): \($0.implementation)" } }
    }
}
