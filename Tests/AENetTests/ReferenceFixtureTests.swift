import AENet
import XCTest

/// Compares each layer's float32 forward and backward passes with the float64
/// numpy reference in Fixtures/reference (Scripts/reference_layers.py).
/// Tolerance: 1e-5 absolute (float32 rounding on these sizes stays near 2e-6).
final class ReferenceFixtureTests: XCTestCase {
    let tolerance: Float = 1e-5

    /// Runs `layer` on the case's input and checks output and every gradient.
    private func check(_ layer: Layer, _ ref: ReferenceCase, kernel: Parameter? = nil, bias: Parameter? = nil,
                       file: StaticString = #filePath, line: UInt = #line) {
        if let kernel { kernel.value = ref["kernel"] }
        if let bias { bias.value = ref["bias"] }
        for p in layer.parameters { p.zeroGrad() }
        let output = layer.forward(ref["input"])
        assertClose(output, ref["output"], tolerance: tolerance, "\(layer.name) output", file: file, line: line)
        let gradInput = layer.backward(ref["grad_output"])
        assertClose(gradInput, ref["grad_input"], tolerance: tolerance, "\(layer.name) grad_input", file: file, line: line)
        if let kernel { assertClose(kernel.grad, ref["grad_kernel"], tolerance: tolerance, "\(layer.name) grad_kernel", file: file, line: line) }
        if let bias { assertClose(bias.grad, ref["grad_bias"], tolerance: tolerance, "\(layer.name) grad_bias", file: file, line: line) }
    }

    func testConv2D() throws {
        for name in ["conv2d_a", "conv2d_b"] {
            for threads in [1, 2] {
                let ref = try ReferenceCase(name)
                var rng = RandomGenerator(seed: 0)
                let layer = Conv2D(name: name, inputShape: [ref.int("H"), ref.int("W"), ref.int("Cin")],
                                   filters: ref.int("Cout"), rng: &rng, parallelism: Parallelism(threads: threads))
                check(layer, ref, kernel: layer.kernel, bias: layer.bias)
            }
        }
    }

    func testConv2DTranspose() throws {
        for name in ["conv2d_transpose_a", "conv2d_transpose_b"] {
            for threads in [1, 2] {
                let ref = try ReferenceCase(name)
                var rng = RandomGenerator(seed: 0)
                let layer = Conv2DTranspose(name: name, inputShape: [ref.int("H"), ref.int("W"), ref.int("Cin")],
                                            filters: ref.int("Cout"), rng: &rng, parallelism: Parallelism(threads: threads))
                check(layer, ref, kernel: layer.kernel, bias: layer.bias)
            }
        }
    }

    /// Every kernel (1, 3, 5, 7), stride (1, 2) and padding, both directions, odd and
    /// non-square sizes and a single pixel; on 1 and 2 threads (2 splits a single
    /// image's rows between the workers).
    func testGeneralConvolutions() throws {
        var names = ["conv_k5_s2_same_odd", "conv_transpose_k5_s2_same_odd",
                     "conv_k3_s2_same_pixel", "conv_transpose_k3_s2_same_pixel"]
        for transpose in [false, true] { for kernel in [1, 3, 5, 7] { for stride in [1, 2] {
            for padding in Padding.allCases {
                names.append("\(transpose ? "conv_transpose" : "conv")_k\(kernel)_s\(stride)_\(padding)")
            }
        } } }
        XCTAssertEqual(names.count, 36)
        for name in names {
            let ref = try ReferenceCase(name)
            let padding = try XCTUnwrap(Padding(rawValue: ref.string("padding")))
            for threads in [1, 2] {
                var rng = RandomGenerator(seed: 0)
                let layer: Layer
                let (kernel, bias): (Parameter, Parameter)
                if ref.string("layer") == "conv2d_transpose" {
                    let t = TransposedConvolution(name: "\(name)/\(threads)", inputChannels: ref.int("Cin"),
                                                  filters: ref.int("Cout"), kernelSize: ref.int("kernel_size"),
                                                  stride: ref.int("strides"), padding: padding, rng: &rng,
                                                  parallelism: Parallelism(threads: threads))
                    (layer, kernel, bias) = (t, t.kernel, t.bias)
                } else {
                    let c = Convolution(name: "\(name)/\(threads)", inputChannels: ref.int("Cin"),
                                        filters: ref.int("Cout"), kernelSize: ref.int("kernel_size"),
                                        stride: ref.int("strides"), padding: padding, rng: &rng,
                                        parallelism: Parallelism(threads: threads))
                    (layer, kernel, bias) = (c, c.kernel, c.bias)
                }
                XCTAssertEqual(layer.outputShape(for: Array(ref["input"].shape.dropFirst())),
                               Array(ref["output"].shape.dropFirst()), name)
                check(layer, ref, kernel: kernel, bias: bias)
            }
        }
    }

    /// GDN and inverse GDN, with stored parameters above their lower bounds (a) and
    /// partly under them (bound: straight-through or stopped gradients, whose zero
    /// pattern must match exactly).
    func testGDN() throws {
        for name in ["gdn_a", "igdn_a", "gdn_bound", "igdn_bound"] {
            let ref = try ReferenceCase(name)
            for threads in [1, 2] {
                let layer = GDN(name: name, channels: ref.int("C"), inverse: ref.string("layer") == "igdn",
                                parallelism: Parallelism(threads: threads))
                layer.beta.value = ref["beta"]
                layer.gamma.value = ref["gamma"]
                for p in layer.parameters { p.zeroGrad() }
                assertClose(layer.forward(ref["input"]), ref["output"], tolerance: tolerance, "\(name) output")
                assertClose(layer.backward(ref["grad_output"]), ref["grad_input"], tolerance: tolerance,
                            "\(name) grad_input")
                for (p, key) in [(layer.beta, "grad_beta"), (layer.gamma, "grad_gamma")] {
                    let expected = ref[key]
                    assertClose(p.grad, expected, tolerance: tolerance, "\(name) \(key)")
                    XCTAssertEqual(p.grad.data.map { $0 == 0 }, expected.data.map { $0 == 0 }, "\(name) \(key) zeros")
                }
            }
        }
    }

    func testMaxPool2D() throws {
        let ref = try ReferenceCase("maxpool2d")
        let layer = MaxPool2D(name: "pool", inputShape: [ref.int("H"), ref.int("W"), ref.int("C")],
                              parallelism: Parallelism(threads: 2))
        check(layer, ref)
    }

    func testUpSampling2D() throws {
        let ref = try ReferenceCase("upsampling2d")
        let layer = UpSampling2D(name: "up", inputShape: [ref.int("H"), ref.int("W"), ref.int("C")],
                                 parallelism: Parallelism(threads: 2))
        check(layer, ref)
    }

    func testDense() throws {
        let ref = try ReferenceCase("dense")
        var rng = RandomGenerator(seed: 0)
        let layer = Dense(name: "dense", inputs: ref.int("F"), units: ref.int("U"), rng: &rng)
        check(layer, ref, kernel: layer.kernel, bias: layer.bias)
    }

    func testActivations() throws {
        for (name, activation) in [("relu", Activation.relu), ("sigmoid", .sigmoid)] {
            let ref = try ReferenceCase(name)
            let shape = Array(ref["input"].shape.dropFirst())
            check(ActivationLayer(name: name, inputShape: shape, activation: activation), ref)
        }
    }

    func testFlatten() throws {
        let ref = try ReferenceCase("flatten")
        check(Reshape.flatten(name: "flatten", inputShape: Array(ref["input"].shape.dropFirst())), ref)
    }

    func testMeanSquaredError() throws {
        let ref = try ReferenceCase("mse")
        let (loss, grad) = MeanSquaredError.lossAndGradient(prediction: ref["pred"], target: ref["target"])
        XCTAssertEqual(loss, ref["loss"].data[0], accuracy: 1e-6)
        assertClose(grad, ref["grad_pred"], tolerance: 1e-7, "mse gradient")
    }

    func testGeometricMeanSquaredError() throws {
        let ref = try ReferenceCase("geometric_mse")
        let (loss, grad) = GeometricMeanSquaredError.lossAndGradient(prediction: ref["pred"], target: ref["target"])
        XCTAssertEqual(loss, ref["loss"].data[0], accuracy: 1e-6 * ref["loss"].data[0])
        let largest = ref["grad_pred"].data.map(abs).max() ?? 1
        assertClose(grad, ref["grad_pred"], tolerance: 1e-5 * largest, "geometric MSE gradient")
        XCTAssertEqual(GeometricMeanSquaredError.loss(prediction: ref["pred"], target: ref["target"]), loss)
        // It is not the MSE: the image with small errors pulls it far below.
        XCTAssertLessThan(loss, 0.5 * MeanSquaredError.loss(prediction: ref["pred"], target: ref["target"]))
    }

    func testAdamMatchesKerasRule() throws {
        let ref = try ReferenceCase("adam")
        let w = Parameter(name: "w", value: ref["w0"])
        let adam = Adam(parameters: [w])
        for step in 1...3 {
            w.grad = ref["g\(step)"]
            adam.update()
            assertClose(w.value, ref["w\(step)"], tolerance: 1e-7, "adam step \(step)")
        }
    }
}
