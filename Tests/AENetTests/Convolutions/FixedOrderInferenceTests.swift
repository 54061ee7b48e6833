import AENet
import XCTest

/// `FixedOrderInference`: the engine's output (to float32 rounding), exactly the documented order of
/// operations (against a plain scalar loop written from the documentation), the same bits at any
/// thread count, and no fused multiply-add.
final class FixedOrderInferenceTests: XCTestCase {
    /// One layer to check: kernel, stride, padding, transposed or not, channels, activation, input size.
    struct Case {
        let kernel: Int, stride: Int, padding: Padding, transposed: Bool
        let inChannels: Int, outChannels: Int, activation: Activation
        let height: Int, width: Int
    }

    static let cases: [Case] = [
        Case(kernel: 5, stride: 2, padding: .same, transposed: false, inChannels: 5, outChannels: 11, activation: .relu, height: 13, width: 11),
        Case(kernel: 3, stride: 1, padding: .same, transposed: false, inChannels: 16, outChannels: 8, activation: .linear, height: 9, width: 7),
        Case(kernel: 1, stride: 2, padding: .valid, transposed: false, inChannels: 3, outChannels: 17, activation: .linear, height: 6, width: 9),
        Case(kernel: 7, stride: 2, padding: .valid, transposed: false, inChannels: 4, outChannels: 6, activation: .relu, height: 12, width: 15),
        Case(kernel: 5, stride: 2, padding: .same, transposed: true, inChannels: 12, outChannels: 13, activation: .relu, height: 5, width: 3),
        Case(kernel: 3, stride: 1, padding: .same, transposed: true, inChannels: 7, outChannels: 9, activation: .linear, height: 6, width: 5),
        Case(kernel: 3, stride: 2, padding: .valid, transposed: true, inChannels: 6, outChannels: 10, activation: .relu, height: 4, width: 7),
        Case(kernel: 1, stride: 2, padding: .same, transposed: true, inChannels: 5, outChannels: 8, activation: .linear, height: 3, width: 4),
        Case(kernel: 7, stride: 2, padding: .same, transposed: true, inChannels: 3, outChannels: 16, activation: .linear, height: 3, width: 6),
    ]

    /// The layer of a case, with a random bias (the layers start with zeros).
    private func layer(_ c: Case, _ rng: inout RandomGenerator, threads: Int = 1) -> Layer {
        let parallelism = Parallelism(threads: threads)
        if c.transposed {
            let t = TransposedConvolution(name: "t", inputChannels: c.inChannels, filters: c.outChannels, kernelSize: c.kernel,
                                          stride: c.stride, padding: c.padding, activation: c.activation, rng: &rng,
                                          parallelism: parallelism)
            t.bias.value = randomTensor([c.outChannels], &rng)
            return t
        }
        let conv = Convolution(name: "c", inputChannels: c.inChannels, filters: c.outChannels, kernelSize: c.kernel,
                               stride: c.stride, padding: c.padding, activation: c.activation, rng: &rng,
                               parallelism: parallelism)
        conv.bias.value = randomTensor([c.outChannels], &rng)
        return conv
    }

    /// Max abs difference within `relative` of the reference's largest magnitude.
    private func assertNear(_ a: Tensor, _ b: Tensor, relative: Float = 1e-5, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(b.data.map(abs).max() ?? 0, 1)
        assertClose(a, b, tolerance: relative * scale, what, file: file, line: line)
    }

    /// The same shape and bit patterns; names the first value that differs.
    private func assertSameBits(_ a: Tensor, _ b: Tensor, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
        if a.count == b.count, let i = a.data.indices.first(where: { a.data[$0].bitPattern != b.data[$0].bitPattern }) {
            XCTFail("\(what): value \(i) is \(a.data[i]), not \(b.data[i])", file: file, line: line)
        }
    }

    func testMatchesTheEngineAndTheDocumentedOrder() {
        for (n, c) in Self.cases.enumerated() {
            var rng = RandomGenerator(seed: UInt64(60 + n))
            let layer = layer(c, &rng, threads: 2)
            let x = randomTensor([2, c.height, c.width, c.inChannels], &rng)
            let fixed = FixedOrderInference.run([layer], input: x, threads: 2)
            let engine = Sequential(name: "engine", layers: [layer]).infer(x)
            let what = "k\(c.kernel) s\(c.stride) \(c.padding)\(c.transposed ? " transposed" : "")"
            assertNear(fixed, engine, what)
            assertSameBits(fixed, documentedOrder(c, layer, x), "\(what): the documented order")
            XCTAssertTrue(FixedOrderInference.supports(layer))
        }
    }

    /// The hyper-synthesis of a scale hyperprior (CompressAI's ScaleHyperprior h_s, small): two
    /// transposed 5x5 stride-2 convolutions and a 3x3 convolution, each with ReLU, against
    /// `Sequential.infer`; and the same bits at 1, 2 and 3 threads.
    func testHyperSynthesisStackAndThreads() {
        var rng = RandomGenerator(seed: 70)
        let (n, m) = (12, 20)
        let layers: [Layer] = [
            TransposedConvolution(name: "h_s0", inputChannels: n, filters: n, kernelSize: 5, stride: 2, activation: .relu, rng: &rng),
            TransposedConvolution(name: "h_s1", inputChannels: n, filters: n, kernelSize: 5, stride: 2, activation: .relu, rng: &rng),
            Convolution(name: "h_s2", inputChannels: n, filters: m, kernelSize: 3, stride: 1, activation: .relu, rng: &rng),
        ]
        for p in layers.flatMap(\.parameters) where p.name.hasSuffix("bias") {
            p.value = randomTensor(p.value.shape, &rng, in: -0.1, 0.1)
        }
        let z = randomTensor([1, 3, 5, n], &rng, in: -2, 2)
        let one = FixedOrderInference.run(layers, input: z)
        XCTAssertEqual(one.shape, [1, 12, 20, m])
        assertNear(one, Sequential(name: "h_s", layers: layers).infer(z), "h_s")
        XCTAssertTrue(one.data.contains(0) && one.data.contains { $0 > 0 }, "the ReLUs cut some values")
        for threads in [2, 3] {
            assertSameBits(FixedOrderInference.run(layers, input: z, threads: threads), one, "\(threads) threads")
        }
        // A ReLU layer on its own is supported too; sigmoid and other layers are not.
        let relu = ActivationLayer.relu(name: "relu", inputShape: [3, 5, n])
        XCTAssertEqual(FixedOrderInference.run([relu], input: z).data, z.data.map { max($0, 0) })
        XCTAssertFalse(FixedOrderInference.supports(Convolution(name: "s", inputChannels: 1, filters: 1, activation: .sigmoid, rng: &rng)))
        XCTAssertFalse(FixedOrderInference.supports(ActivationLayer.sigmoid(name: "s", inputShape: [1, 1, 1])))
        XCTAssertFalse(FixedOrderInference.supports(GDN(name: "g", channels: 3)))
    }

    /// bias + x * w with x = w = 1 + 2^-23 and bias = -(1 + 2^-22): the product rounds to 1 + 2^-22, so
    /// multiply-then-add gives exactly 0, where a fused multiply-add would give 2^-46. Every lane of a
    /// full and a partial block, pixels in a group of four and alone.
    func testNoFusedMultiplyAdd() {
        let x: Float = 1 + 0x1p-23, bias: Float = -(1 + 0x1p-22)
        XCTAssertEqual(Float(Double(x) * Double(x) + Double(bias)), 0x1p-46, "what a fused multiply-add gives")
        for transposed in [false, true] {
            var rng = RandomGenerator(seed: 71)
            let channels = 11
            let layer: Layer
            if transposed {
                let t = TransposedConvolution(name: "t", inputChannels: 1, filters: channels, kernelSize: 1, rng: &rng)
                (t.kernel.value, t.bias.value) = (Tensor(shape: [1, 1, channels, 1], data: .init(repeating: x, count: channels)),
                                                  Tensor(shape: [channels], data: .init(repeating: bias, count: channels)))
                layer = t
            } else {
                let c = Convolution(name: "c", inputChannels: 1, filters: channels, kernelSize: 1, rng: &rng)
                (c.kernel.value, c.bias.value) = (Tensor(shape: [1, 1, 1, channels], data: .init(repeating: x, count: channels)),
                                                  Tensor(shape: [channels], data: .init(repeating: bias, count: channels)))
                layer = c
            }
            let output = FixedOrderInference.run([layer], input: Tensor(shape: [1, 2, 5, 1], data: .init(repeating: x, count: 10)))
            XCTAssertEqual(output.count, 2 * 5 * channels)
            XCTAssertTrue(output.data.allSatisfy { $0 == 0 }, "transposed \(transposed): \(Set(output.data))")
        }
    }

    // MARK: The documented order, as plain scalar loops

    /// TensorFlow's 'same'/'valid' layout of one axis of a convolution reading `size` pixels:
    /// output size and padding before.
    private func convolutionAxis(size: Int, kernel k: Int, stride s: Int, padding: Padding) -> (out: Int, padBefore: Int) {
        let out = padding == .same ? (size + s - 1) / s : (size - k) / s + 1
        return (out, padding == .same ? max((out - 1) * s + k - size, 0) / 2 : 0)
    }

    /// Every output value as FixedOrderConvolution documents it: bias, then taps (i, then j), then
    /// input channels, each step acc = acc + x * w in Float, zeros outside the image.
    private func documentedOrder(_ c: Case, _ layer: Layer, _ input: Tensor) -> Tensor {
        let (kernel, bias): (Tensor, Tensor) = c.transposed
            ? ((layer as! TransposedConvolution).kernel.value, (layer as! TransposedConvolution).bias.value)
            : ((layer as! Convolution).kernel.value, (layer as! Convolution).bias.value)
        let (k, s, cin, cout) = (c.kernel, c.stride, c.inChannels, c.outChannels)
        // For a transposed layer the geometry is that of the convolution reading its (large) output.
        let large = { (size: Int) in c.padding == .same ? size * s : size * s + max(k - s, 0) }
        let rows = convolutionAxis(size: c.transposed ? large(c.height) : c.height, kernel: k, stride: s, padding: c.padding)
        let cols = convolutionAxis(size: c.transposed ? large(c.width) : c.width, kernel: k, stride: s, padding: c.padding)
        let (outH, outW) = c.transposed ? (large(c.height), large(c.width)) : (rows.out, cols.out)
        func pixel(_ n: Int, _ y: Int, _ x: Int, _ ch: Int) -> Float {
            guard y >= 0, y < c.height, x >= 0, x < c.width else { return 0 }
            return input.data[((n * c.height + y) * c.width + x) * cin + ch]
        }
        /// The input index tap `i` of output `o` reads along an axis, nil when the tap is not one of o's.
        func source(_ o: Int, _ i: Int, _ padBefore: Int) -> Int? {
            if !c.transposed { return o * s + i - padBefore }
            let d = o + padBefore - i
            return ((d % s) + s) % s == 0 ? Int((Double(d) / Double(s)).rounded(.down)) : nil
        }
        var out = Tensor(zeros: [input.shape[0], outH, outW, cout])
        for n in 0 ..< input.shape[0] {
            for y in 0 ..< outH {
                for x in 0 ..< outW {
                    for o in 0 ..< cout {
                        var acc = bias.data[o]
                        for i in 0 ..< k {
                            guard let iy = source(y, i, rows.padBefore) else { continue }
                            for j in 0 ..< k {
                                guard let ix = source(x, j, cols.padBefore) else { continue }
                                for ch in 0 ..< cin {
                                    let w = c.transposed ? kernel.data[((i * k + j) * cout + o) * cin + ch]
                                                         : kernel.data[((i * k + j) * cin + ch) * cout + o]
                                    let product = pixel(n, iy, ix, ch) * w
                                    acc = acc + product
                                }
                            }
                        }
                        out.data[((n * outH + y) * outW + x) * cout + o] = c.activation == .relu ? max(acc, 0) : acc
                    }
                }
            }
        }
        return out
    }
}
