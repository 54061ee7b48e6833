@testable import AENet
import XCTest

/// oneDNN's convolutions (`OneDNNConvolution`) against our own layers with the same
/// weights: the general `Convolution` / `TransposedConvolution` for every kernel,
/// stride and padding, and the reference model's fast paths `Conv2D` /
/// `Conv2DTranspose` on its layer shapes; forward, input gradient, kernel and bias
/// gradients, with one object serving several input shapes; determinism; weight updates.
final class OneDNNConvolutionTests: XCTestCase {
    /// Largest |a - b| over the largest |b|: the tolerance is relative to the reference's scale.
    private func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape)")
        var worst: Float = 0, scale: Float = 0
        for i in 0..<a.count {
            worst = max(worst, abs(a.data[i] - b.data[i]))
            scale = max(scale, abs(b.data[i]))
        }
        return scale > 0 ? worst / scale : worst
    }

    private let tolerance: Float = 1e-5
    /// The worst relative error of each kind seen in a test, for its log line.
    private var worst: [String: Float] = [:]

    private func assertNear(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
        guard a.shape == b.shape else { return }
        let error = relativeError(a, b)
        let kind = String(what.split(separator: ":").last ?? "")
        worst[kind] = max(worst[kind] ?? 0, error)
        XCTAssertLessThanOrEqual(error, tolerance, "\(what): relative error \(error)", file: file, line: line)
    }

    private func logWorst(_ test: String) {
        let text = worst.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ",")
        print("\(test): worst relative errors:\(text)")
    }

    /// A reference layer (ours) and a oneDNN object with copies of its parameters.
    private struct Pair {
        let reference: Layer
        let referenceKernel: Parameter
        let referenceBias: Parameter
        let onednn: OneDNNConvolution
    }

    private func pair(_ context: OneDNNContext, transposed: Bool, inputChannels: Int, filters: Int, kernelSize: Int,
                      stride: Int, padding: Padding, activation: Activation, threads: Int = 2,
                      flipStrideOne: Bool = true, rng: inout RandomGenerator) throws -> Pair {
        let par = Parallelism(threads: threads)
        let layer: Layer, kernel: Parameter, bias: Parameter
        if transposed {
            let t = TransposedConvolution(name: "t", inputChannels: inputChannels, filters: filters, kernelSize: kernelSize,
                                          stride: stride, padding: padding, activation: activation, rng: &rng,
                                          parallelism: par)
            (layer, kernel, bias) = (t, t.kernel, t.bias)
        } else {
            let c = Convolution(name: "c", inputChannels: inputChannels, filters: filters, kernelSize: kernelSize,
                                stride: stride, padding: padding, activation: activation, rng: &rng, parallelism: par)
            (layer, kernel, bias) = (c, c.kernel, c.bias)
        }
        bias.value = randomTensor([filters], &rng, in: -0.5, 0.5)
        let onednn = try OneDNNConvolution(
            context: context, transposed: transposed, inputChannels: inputChannels, filters: filters,
            kernelSize: kernelSize, stride: stride, padding: padding, activation: activation,
            kernel: Parameter(name: "k", value: kernel.value), bias: Parameter(name: "b", value: bias.value),
            parallelism: par, flipStrideOne: flipStrideOne)
        XCTAssertEqual(onednn.flipped, transposed && stride == 1 && flipStrideOne)
        return Pair(reference: layer, referenceKernel: kernel, referenceBias: bias, onednn: onednn)
    }

    /// Forward, input gradient, kernel and bias gradients of `pair` on `inputShape`, ours against oneDNN's.
    private func check(_ pair: Pair, inputShape: [Int], _ what: String, rng: inout RandomGenerator) throws {
        let x = randomTensor(inputShape, &rng)
        let y = pair.reference.forward(x)
        let g = randomTensor(y.shape, &rng)
        pair.referenceKernel.zeroGrad()
        pair.referenceBias.zeroGrad()
        let gx = pair.reference.backward(g, needInputGradient: true)

        let d = pair.onednn
        d.kernel.zeroGrad()
        d.bias.zeroGrad()
        let dy = try d.forward(x)
        assertNear(dy, y, "\(what) \(inputShape): output")
        assertNear(try d.forward(x, training: false), y, "\(what) \(inputShape): inference output")
        let dgx = try XCTUnwrap(try d.backward(input: x, output: dy, gradOutput: g, needInputGradient: true))
        assertNear(dgx, gx, "\(what) \(inputShape): input gradient")
        assertNear(d.kernel.grad, pair.referenceKernel.grad, "\(what) \(inputShape): kernel gradient")
        assertNear(d.bias.grad, pair.referenceBias.grad, "\(what) \(inputShape): bias gradient")
        XCTAssertEqual(d.outputShape(for: Array(inputShape.dropFirst())), Array(y.shape.dropFirst()), "\(what): shape")
    }

    /// Every kernel (1, 3, 5), stride (1, 2), padding and activation (ReLU, linear), plain
    /// and transposed (at stride 1 both as the flipped convolution and as oneDNN's
    /// deconvolution), on odd sizes; each object takes four input shapes in turn (the
    /// first again last, from the shape cache). Small channel counts, and wider ones
    /// (16 -> 32) where oneDNN picks its vectorised kernels.
    func testMatchesGeneralLayers() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 12)
        for transposed in [false, true] {
            let shapes = transposed ? [[2, 4, 3], [3, 5, 2], [1, 4, 3], [2, 4, 3]]
                                    : [[2, 9, 7], [3, 6, 5], [1, 9, 7], [2, 9, 7]]
            for kernelSize in [1, 3, 5] {
                for stride in [1, 2] {
                    for padding in Padding.allCases {
                        for activation in [Activation.relu, .linear] {
                          for flip in transposed && stride == 1 ? [true, false] : [true] {
                            let wide = kernelSize > 1 && padding == .same && activation == .relu
                            let (cin, cout) = wide ? (16, 32) : (3, 5)
                            let p = try pair(context, transposed: transposed, inputChannels: cin, filters: cout,
                                             kernelSize: kernelSize, stride: stride, padding: padding,
                                             activation: activation, flipStrideOne: flip, rng: &rng)
                            let what = "\(transposed ? "T" : "")k\(kernelSize)s\(stride) \(padding) \(activation) "
                                + "\(cin)->\(cout)\(p.onednn.flipped ? " flipped" : "")"
                            for shape in shapes { try check(p, inputShape: shape + [cin], what, rng: &rng) }
                            if wide && kernelSize == 5 {
                                print("\(what): \(p.onednn.implementations(forInputShape: shapes[0] + [cin]))")
                            }
                          }
                        }
                    }
                }
            }
        }
        logWorst("testMatchesGeneralLayers")
    }

    /// The reference model's convolutions at their shapes (batch 4) against the fast
    /// paths it runs on today: Conv2D (3x3 stride 1, ReLU; the last one sigmoid) and
    /// Conv2DTranspose (3x3 stride 1, ReLU).
    func testReferenceModelShapesMatchFastPaths() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 5)
        let par = Parallelism(threads: 2)
        let layers: [(transposed: Bool, shape: [Int], filters: Int, activation: Activation)] = [
            (false, [32, 32, 3], 32, .relu), (false, [16, 16, 32], 64, .relu), (false, [8, 8, 64], 128, .relu),
            (true, [4, 4, 128], 128, .relu), (true, [8, 8, 128], 64, .relu), (true, [16, 16, 64], 32, .relu),
            (false, [32, 32, 32], 3, .sigmoid),
        ]
        for (transposed, shape, filters, activation) in layers {
            let layer: Layer, kernel: Parameter, bias: Parameter
            if transposed {
                let t = Conv2DTranspose(name: "t", inputShape: shape, filters: filters, activation: activation,
                                        rng: &rng, parallelism: par)
                (layer, kernel, bias) = (t, t.kernel, t.bias)
            } else {
                let c = Conv2D(name: "c", inputShape: shape, filters: filters, activation: activation,
                               rng: &rng, parallelism: par)
                (layer, kernel, bias) = (c, c.kernel, c.bias)
            }
            bias.value = randomTensor([filters], &rng, in: -0.5, 0.5)
            let onednn = try OneDNNConvolution(
                context: context, transposed: transposed, inputChannels: shape[2], filters: filters, kernelSize: 3,
                stride: 1, padding: .same, activation: activation,
                kernel: Parameter(name: "k", value: kernel.value), bias: Parameter(name: "b", value: bias.value),
                parallelism: par)
            let p = Pair(reference: layer, referenceKernel: kernel, referenceBias: bias, onednn: onednn)
            let what = "\(transposed ? "Conv2DTranspose" : "Conv2D") \(shape)->\(filters)"
            try check(p, inputShape: [4] + shape, what, rng: &rng)
            print("\(what): \(onednn.implementations(forInputShape: [4] + shape))")
        }
        logWorst("testReferenceModelShapesMatchFastPaths")
    }

    /// Gradients are added into the parameters' grads, as our layers do; no input
    /// gradient when none is asked for.
    func testGradientsAreAdded() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 7)
        let p = try pair(context, transposed: false, inputChannels: 16, filters: 32, kernelSize: 3, stride: 2,
                         padding: .same, activation: .relu, rng: &rng)
        let d = p.onednn
        let x = randomTensor([2, 11, 9, 16], &rng)
        let y = try d.forward(x)
        let g = randomTensor(y.shape, &rng)
        d.kernel.zeroGrad()
        d.bias.zeroGrad()
        XCTAssertNil(try d.backward(input: x, output: y, gradOutput: g, needInputGradient: false))
        let (once, onceBias) = (d.kernel.grad, d.bias.grad)
        XCTAssertGreaterThan(once.data.map(abs).max() ?? 0, 0)
        _ = try d.backward(input: x, output: y, gradOutput: g, needInputGradient: false)
        XCTAssertEqual(d.kernel.grad.data, once.data.map { 2 * $0 }, "kernel gradient added twice")
        XCTAssertEqual(d.bias.grad.data, onceBias.data.map { 2 * $0 }, "bias gradient added twice")
    }

    /// A changed kernel is picked up at the next call (the parameter's version changed:
    /// forward and input gradient against our layer with the new kernel); an in-place
    /// change of one value too.
    func testWeightUpdateIsPickedUp() throws {
        let context = try OneDNNContext()
        var rng = RandomGenerator(seed: 9)
        for (transposed, stride) in [(false, 2), (true, 2), (true, 1)] {  // the last one flipped
            let p = try pair(context, transposed: transposed, inputChannels: 16, filters: 32, kernelSize: 5,
                             stride: stride, padding: .same, activation: .relu, rng: &rng)
            let shape = transposed ? [2, 5, 4, 16] : [2, 9, 8, 16]
            try check(p, inputShape: shape, "before", rng: &rng)
            let x = randomTensor(shape, &rng)
            let before = try p.onednn.forward(x)
            let newKernel = randomTensor(p.referenceKernel.value.shape, &rng, in: -0.2, 0.2)
            p.onednn.kernel.value = newKernel
            XCTAssertNotEqual(try p.onednn.forward(x), before, "the new kernel is used")
            let afterAssignment = try p.onednn.forward(x)
            p.onednn.kernel.value.data[0] += 0.5
            XCTAssertNotEqual(try p.onednn.forward(x), afterAssignment, "an in-place change is used")
            p.onednn.kernel.value.data[0] -= 0.5
            p.onednn.bias.value = randomTensor([32], &rng)  // the bias is read at each call
            p.referenceKernel.value = newKernel
            p.referenceBias.value = p.onednn.bias.value
            XCTAssertNotEqual(try p.onednn.forward(x), before)
            try check(p, inputShape: shape, "after", rng: &rng)
        }
    }

    /// The same bits twice in a row at a fixed thread count (asserted), and whether 1
    /// and 2 threads give the same bits (recorded in the log, not asserted: oneDNN does
    /// not promise it), at the models' real batch sizes (oneDNN alone: fast in debug builds).
    func testDeterminism() throws {
        let context = try OneDNNContext()
        let cases: [(transposed: Bool, cin: Int, cout: Int, k: Int, s: Int, shape: [Int])] = [
            (false, 32, 64, 3, 1, [128, 16, 16, 32]),     // the reference model's conv2d_1, training batch
            (true, 64, 32, 3, 1, [128, 16, 16, 64]),      // its conv2d_transpose_2
            (false, 128, 128, 5, 2, [16, 32, 32, 128]),   // a codec analysis layer, 16 patches
            (true, 128, 128, 5, 2, [16, 16, 16, 128]),    // a codec synthesis layer
            (false, 128, 128, 5, 2, [1, 128, 192, 128]),  // the analysis layer on a 768x512 photo
        ]
        for c in cases {
            var results: [[Tensor]] = []
            for threads in [1, 2] {
                var rng = RandomGenerator(seed: 31)
                let (a, b) = c.transposed ? (c.cout, c.cin) : (c.cin, c.cout)
                let kernel = Parameter(name: "k", value: randomTensor([c.k, c.k, a, b], &rng, in: -0.1, 0.1))
                let bias = Parameter(name: "b", value: randomTensor([c.cout], &rng))
                let d = try OneDNNConvolution(
                    context: context, transposed: c.transposed, inputChannels: c.cin, filters: c.cout,
                    kernelSize: c.k, stride: c.s, padding: .same, activation: .relu, kernel: kernel, bias: bias,
                    parallelism: Parallelism(threads: threads))
                // Large tensors: a cheap deterministic pattern in [-1, 1] rather than the generator.
                let x = Tensor(shape: c.shape, data: (0..<c.shape.reduce(1, *)).map { Float(($0 * 7919) % 2001) / 1000 - 1 })
                var runs: [[Tensor]] = []
                for _ in 0..<2 {
                    kernel.zeroGrad()
                    bias.zeroGrad()
                    let y = try d.forward(x)
                    let g = Tensor(shape: y.shape, data: (0..<y.count).map { Float(($0 * 104729) % 2001) / 1000 - 1 })
                    let gx = try XCTUnwrap(try d.backward(input: x, output: y, gradOutput: g, needInputGradient: true))
                    runs.append([y, gx, kernel.grad, bias.grad])
                }
                XCTAssertEqual(runs[0], runs[1], "\(c) at \(threads) threads: the same bits twice in a row")
                results.append(runs[0])
            }
            let names = ["forward", "input gradient", "kernel gradient", "bias gradient"]
            let verdicts = zip(names, zip(results[0], results[1])).map { name, pair in
                pair.0 == pair.1 ? "\(name) same" : "\(name) differs (relative \(relativeError(pair.0, pair.1)))"
            }
            print("oneDNN 1 vs 2 threads, \(c.transposed ? "transposed " : "")k\(c.k)s\(c.s) \(c.shape)->\(c.cout): "
                  + verdicts.joined(separator: ", "))
        }
    }
}
