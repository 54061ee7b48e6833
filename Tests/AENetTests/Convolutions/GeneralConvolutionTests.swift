@testable import AENet
import XCTest

/// The general convolution engine against the reference model's 3x3 fast path, the
/// transposed convolution as the adjoint of the convolution, and shapes chosen at
/// call time (one set of layer objects on a photo and on training patches).
final class GeneralConvolutionTests: XCTestCase {
    /// Max abs difference within `relative` of the larger tensor's largest magnitude.
    private func assertNear(_ a: Tensor, _ b: Tensor, relative: Float = 1e-5, _ what: String,
                            file: StaticString = #filePath, line: UInt = #line) {
        let scale = max(b.data.map(abs).max() ?? 0, 1)
        assertClose(a, b, tolerance: relative * scale, what, file: file, line: line)
    }

    /// Convolution (3x3, stride 1, 'same') against Conv2D with the same kernel, forward
    /// and backward, on enough pixels and channels that both engines run several
    /// GEMM chunks per worker.
    func testConvolutionMatchesFastPath() {
        for (activation, threads) in [(Activation.relu, 2), (.sigmoid, 1), (.linear, 2)] {
            var rng = RandomGenerator(seed: 21)
            let fast = Conv2D(name: "fast", inputShape: [20, 18, 64], filters: 24, activation: activation,
                              rng: &rng, parallelism: Parallelism(threads: threads))
            let general = Convolution(name: "general", inputChannels: 64, filters: 24, activation: activation,
                                      rng: &rng, parallelism: Parallelism(threads: threads))
            general.kernel.value = fast.kernel.value
            fast.bias.value = randomTensor([24], &rng)
            general.bias.value = fast.bias.value
            let x = randomTensor([5, 20, 18, 64], &rng)
            let g = randomTensor([5, 20, 18, 24], &rng)
            assertNear(general.forward(x), fast.forward(x), "\(activation) output")
            assertNear(general.backward(g), fast.backward(g), "\(activation) grad_input")
            assertNear(general.kernel.grad, fast.kernel.grad, "\(activation) grad_kernel")
            assertNear(general.bias.grad, fast.bias.grad, "\(activation) grad_bias")
        }
    }

    func testTransposedConvolutionMatchesFastPath() {
        for (activation, threads) in [(Activation.relu, 2), (.linear, 1)] {
            var rng = RandomGenerator(seed: 22)
            let fast = Conv2DTranspose(name: "fast", inputShape: [16, 14, 48], filters: 32, activation: activation,
                                       rng: &rng, parallelism: Parallelism(threads: threads))
            let general = TransposedConvolution(name: "general", inputChannels: 48, filters: 32,
                                                activation: activation, rng: &rng,
                                                parallelism: Parallelism(threads: threads))
            general.kernel.value = fast.kernel.value
            fast.bias.value = randomTensor([32], &rng)
            general.bias.value = fast.bias.value
            let x = randomTensor([6, 16, 14, 48], &rng)
            let g = randomTensor([6, 16, 14, 32], &rng)
            assertNear(general.forward(x), fast.forward(x), "\(activation) output")
            assertNear(general.backward(g), fast.backward(g), "\(activation) grad_input")
            assertNear(general.kernel.grad, fast.kernel.grad, "\(activation) grad_kernel")
            assertNear(general.bias.grad, fast.bias.grad, "\(activation) grad_bias")
        }
    }

    /// <conv(x), y> = <x, convT(y)> for the same kernel and no bias: the transposed
    /// convolution is the convolution's adjoint. One odd-sized image on 2 threads, with
    /// enough channels that each worker runs several chunks and the scatter splits the
    /// image's rows between the workers.
    func testTransposedConvolutionIsTheAdjoint() {
        for (kernel, stride, padding) in [(7, 2, Padding.same), (5, 2, .valid), (3, 1, .same), (1, 2, .same)] {
            var rng = RandomGenerator(seed: UInt64(kernel * 10 + stride))
            let conv = Convolution(name: "conv", inputChannels: 64, filters: 24, kernelSize: kernel, stride: stride,
                                   padding: padding, rng: &rng, parallelism: Parallelism(threads: 2))
            let convT = TransposedConvolution(name: "convT", inputChannels: 24, filters: 64, kernelSize: kernel,
                                              stride: stride, padding: padding, rng: &rng,
                                              parallelism: Parallelism(threads: 2))
            convT.kernel.value = conv.kernel.value
            let small = conv.outputShape(for: [91, 71, 64])!
            let large = convT.outputShape(for: small)!
            let x = randomTensor([1] + large, &rng), y = randomTensor([1] + small, &rng)
            let lhs = dot(conv.forward(x), y), rhs = dot(x, convT.forward(y))
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(abs(lhs), 1), "k\(kernel) s\(stride) \(padding)")
            // And convT's input gradient is the convolution itself (both biases are zero).
            assertNear(convT.backward(x), conv.forward(x), "k\(kernel) s\(stride) \(padding): convT backward")
        }
    }

    func testOutputShapes() {
        var rng = RandomGenerator(seed: 3)
        let conv = Convolution(name: "c", inputChannels: 3, filters: 8, kernelSize: 5, stride: 2, rng: &rng)
        XCTAssertEqual(conv.outputShape(for: [512, 768, 3]), [256, 384, 8])
        XCTAssertEqual(conv.outputShape(for: [33, 1, 3]), [17, 1, 8])  // ceil(33 / 2)
        XCTAssertNil(conv.outputShape(for: [32, 32, 4]), "wrong channel count")
        XCTAssertNil(conv.outputShape(for: [32, 32]))
        let valid = Convolution(name: "v", inputChannels: 3, filters: 8, kernelSize: 5, stride: 2, padding: .valid, rng: &rng)
        XCTAssertEqual(valid.outputShape(for: [9, 10, 3]), [3, 3, 8])  // floor((9 - 5) / 2) + 1
        XCTAssertNil(valid.outputShape(for: [4, 10, 3]), "kernel larger than the image")
        let convT = TransposedConvolution(name: "t", inputChannels: 8, filters: 3, kernelSize: 5, stride: 2, rng: &rng)
        XCTAssertEqual(convT.outputShape(for: [17, 1, 8]), [34, 2, 3])
        let validT = TransposedConvolution(name: "vt", inputChannels: 8, filters: 3, kernelSize: 5, stride: 2,
                                           padding: .valid, rng: &rng)
        XCTAssertEqual(validT.outputShape(for: [3, 3, 8]), [9, 9, 3])
        XCTAssertEqual(conv.inputShape, [anySize, anySize, 3])
        XCTAssertEqual(GDN(name: "g", channels: 8).outputShape(for: [5, 7, 8]), [5, 7, 8])
        XCTAssertNil(GDN(name: "g", channels: 8).outputShape(for: [5, 7, 6]))
        // Free dimensions chain through a model and print as Keras's None.
        let model = Autoencoder(
            encoder: Sequential(name: "a", layers: [conv, GDN(name: "gdn", channels: 8)]),
            decoder: Sequential(name: "s", layers: [convT]))
        XCTAssertEqual(model.encoder.outputShape(for: [33, 20, 3]), [17, 10, 8])
        XCTAssertNil(model.encoder.outputShape(for: [33, 20, 4]))
        let table = Summary.table(for: model)
        XCTAssertTrue(table.contains("gdn (GDN)                   (None, None, None, 8)     72"), table)
        XCTAssertTrue(table.contains("(None, None, None, 3)"), table)
    }

    /// A fully-convolutional codec-like model (2 x [5x5 stride-2 convolution, GDN],
    /// then the mirror with transposed convolutions and inverse GDN): the same layer
    /// objects run a 768x512 photo, then 64x64 patches and an odd-sized image, forward
    /// and backward; scratch grows for the photo and is reused, not grown, for the rest.
    func testOneModelRunsAPhotoAndPatches() {
        var rng = RandomGenerator(seed: 8)
        let par = Parallelism(threads: 2)
        let analysis = Sequential(name: "analysis", layers: [
            Convolution(name: "conv0", inputChannels: 3, filters: 8, kernelSize: 5, stride: 2, rng: &rng, parallelism: par),
            GDN(name: "gdn0", channels: 8, parallelism: par),
            Convolution(name: "conv1", inputChannels: 8, filters: 8, kernelSize: 5, stride: 2, rng: &rng, parallelism: par),
        ])
        let synthesis = Sequential(name: "synthesis", layers: [
            TransposedConvolution(name: "convT0", inputChannels: 8, filters: 8, kernelSize: 5, stride: 2, rng: &rng, parallelism: par),
            GDN(name: "igdn0", channels: 8, inverse: true, parallelism: par),
            TransposedConvolution(name: "convT1", inputChannels: 8, filters: 3, kernelSize: 5, stride: 2, rng: &rng, parallelism: par),
        ])
        let model = Autoencoder(encoder: analysis, decoder: synthesis)
        XCTAssertEqual(model.imageShape, [anySize, anySize, 3])
        func scratch() -> [Int] {
            model.layers.map { ($0 as? Convolution)?.scratchCapacity ?? ($0 as? TransposedConvolution)?.scratchCapacity
                ?? ($0 as! GDN).scratchCapacity }
        }
        func run(_ shape: [Int]) {
            let x = randomTensor(shape, &rng, in: 0, 1)
            let latent = model.encode(x)
            XCTAssertEqual(Array(latent.shape.dropFirst()), analysis.outputShape(for: Array(shape.dropFirst())))
            let y = model.forward(x)
            XCTAssertEqual(Array(y.shape.dropFirst()), model.decoder.outputShape(for: Array(latent.shape.dropFirst())))
            XCTAssertTrue(y.data.allSatisfy(\.isFinite))
            model.zeroGradients()
            model.backward(y)
            XCTAssertTrue(model.parameters.allSatisfy { $0.grad.data.allSatisfy(\.isFinite) })
        }
        run([1, 512, 768, 3])
        XCTAssertEqual(model.encode(Tensor(zeros: [1, 512, 768, 3])).shape, [1, 128, 192, 8])
        let afterPhoto = scratch()
        XCTAssertTrue(afterPhoto.allSatisfy { $0 > 0 })
        run([4, 64, 64, 3])
        XCTAssertEqual(model.forward(Tensor(zeros: [4, 64, 64, 3])).shape, [4, 64, 64, 3])
        run([1, 33, 47, 3])
        XCTAssertEqual(model.forward(Tensor(zeros: [1, 33, 47, 3])).shape, [1, 36, 48, 3])
        XCTAssertEqual(scratch(), afterPhoto, "smaller inputs reuse the scratch")
        run([1, 600, 800, 3])
        XCTAssertTrue(zip(scratch(), afterPhoto).contains { $0 > $1 }, "a larger input grows it")
    }

    /// The lower bound's straight-through rule, value by value.
    func testNonNegativeParametrization() {
        let p = NonNegativeParametrization(minimum: 1e-6)
        XCTAssertEqual(p.pedestal, 0x1p-36)
        XCTAssertEqual(p.value(p.stored(1)), 1, accuracy: 1e-6)
        XCTAssertEqual(p.value(-3), 1e-6, accuracy: 1e-12, "under the bound: the minimum")
        XCTAssertEqual(p.gradient(stored: 0.5, valueGradient: 2), 2 * 2 * 0.5)
        XCTAssertEqual(p.gradient(stored: -3, valueGradient: 2), 0, "stopped: descent would push p further down")
        XCTAssertEqual(p.gradient(stored: -3, valueGradient: -2), -2 * 2 * p.bound, "passed: descent pushes p up")
        let gamma = NonNegativeParametrization()
        XCTAssertEqual(gamma.bound, 0x1p-18)
        XCTAssertEqual(gamma.value(gamma.stored(0)), 0, "gamma's off-diagonal starts at exactly 0")
        let gdn = GDN(name: "g", channels: 3)
        let values = gdn.gamma.value.data.map(gamma.value)
        XCTAssertEqual(values[0], 0.1, accuracy: 1e-7)
        XCTAssertEqual(values[1], 0)
        XCTAssertEqual(gdn.beta.value.data.map(GDN.betaParametrization.value)[2], 1, accuracy: 1e-6)
    }
}
