import AENet
import XCTest

/// Finite-difference checks of every layer's input and parameter gradients,
/// and of the whole reference model on a small batch.
///
/// L = sum(output * g) for a fixed random g; the analytic dL/dv from `backward`
/// is compared with (L(v + h) - L(v - h)) / 2h for sampled entries v.
final class GradientCheckTests: XCTestCase {
    /// Relative error allowed: float32 central differences with h = 1e-3 (small
    /// enough that few ReLU outputs cross zero) and
    /// double-precision sums keep the true error near 1e-3.
    let tolerance = 2e-2

    private func relativeError(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a) + abs(b), 1e-3)
    }

    /// Checks `layer` on `input`; `samples` entries of the input and of each parameter.
    private func checkLayer(_ layer: Layer, input: Tensor, samples: Int = 20, h: Float = 1e-3,
                            file: StaticString = #filePath, line: UInt = #line) {
        var rng = RandomGenerator(seed: 99)
        let g = randomTensor([input.batch] + layer.outputShape(for: Array(input.shape.dropFirst()))!, &rng)
        var skipped = 0, checked = 0
        /// Central difference of L, or nil when the step moved a ReLU output across
        /// its kink (an output is exactly zero on one side only): no derivative there.
        func numericDerivative(_ perturb: (Float) -> Tensor) -> Double? {
            let yp = layer.forward(perturb(h)), ym = layer.forward(perturb(-h))
            if zip(yp.data, ym.data).contains(where: { ($0 == 0) != ($1 == 0) }) { skipped += 1; return nil }
            checked += 1
            return (dot(yp, g) - dot(ym, g)) / Double(2 * h)
        }

        for p in layer.parameters { p.zeroGrad() }
        _ = layer.forward(input)
        let gradInput = layer.backward(g)
        let paramGrads = layer.parameters.map(\.grad)

        for _ in 0..<samples {
            let i = rng.nextInt(below: input.count)
            guard let numeric = numericDerivative({ step in
                var x = input
                x.data[i] += step
                return x
            }) else { continue }
            XCTAssertLessThan(relativeError(Double(gradInput.data[i]), numeric), tolerance,
                              "\(layer.name) d/dinput[\(i)]: analytic \(gradInput.data[i]) numeric \(numeric)",
                              file: file, line: line)
        }
        for (p, analytic) in zip(layer.parameters, paramGrads) {
            for _ in 0..<samples {
                let i = rng.nextInt(below: p.value.count)
                let saved = p.value.data[i]
                guard let numeric = numericDerivative({ step in
                    p.value.data[i] = saved + step
                    return input
                }) else { p.value.data[i] = saved; continue }
                p.value.data[i] = saved
                XCTAssertLessThan(relativeError(Double(analytic.data[i]), numeric), tolerance,
                                  "\(p.name)[\(i)]: analytic \(analytic.data[i]) numeric \(numeric)",
                                  file: file, line: line)
            }
        }
        XCTAssertGreaterThan(checked, 3 * skipped, "\(layer.name): too many samples sat on a ReLU kink",
                             file: file, line: line)
    }

    func testConv2DGradients() {
        var rng = RandomGenerator(seed: 1)
        for activation in Activation.allCases {
            let layer = Conv2D(name: "conv_\(activation)", inputShape: [6, 5, 4], filters: 3,
                               activation: activation, rng: &rng, parallelism: Parallelism(threads: 2))
            checkLayer(layer, input: randomTensor([3, 6, 5, 4], &rng))
        }
    }

    func testConv2DTransposeGradients() {
        var rng = RandomGenerator(seed: 2)
        for activation in Activation.allCases {
            let layer = Conv2DTranspose(name: "convT_\(activation)", inputShape: [4, 6, 3], filters: 5,
                                        activation: activation, rng: &rng, parallelism: Parallelism(threads: 2))
            checkLayer(layer, input: randomTensor([2, 4, 6, 3], &rng))
        }
    }

    /// Every kernel, stride and padding of the general convolution and transposed
    /// convolution, on odd, non-square sizes, linear and sigmoid in turn (the fused ReLU
    /// is checked against Conv2D's in GeneralConvolutionTests). A step of 1e-2: these
    /// layers sum more outputs into L, and at 1e-3 float32 rounding of L reaches a few
    /// per cent of the smallest derivatives.
    func testGeneralConvolutionGradients() {
        var rng = RandomGenerator(seed: 7)
        var round = 0
        for kernel in [1, 3, 5, 7] { for stride in [1, 2] { for padding in Padding.allCases {
            let activation: Activation = round % 2 == 0 ? .linear : .sigmoid
            round += 1
            let conv = Convolution(name: "conv_k\(kernel)_s\(stride)_\(padding)", inputChannels: 3, filters: 4,
                                   kernelSize: kernel, stride: stride, padding: padding, activation: activation,
                                   rng: &rng, parallelism: Parallelism(threads: 2))
            checkLayer(conv, input: randomTensor([2, 9, 7, 3], &rng), h: 1e-2)
            let convT = TransposedConvolution(name: "convT_k\(kernel)_s\(stride)_\(padding)", inputChannels: 3,
                                              filters: 4, kernelSize: kernel, stride: stride, padding: padding,
                                              activation: activation, rng: &rng, parallelism: Parallelism(threads: 2))
            checkLayer(convT, input: randomTensor([2, 5, 3, 3], &rng), h: 1e-2)
        } } }
    }

    /// GDN and inverse GDN with parameters spread above their lower bounds (at the
    /// initial values gamma's off-diagonal sits exactly on the bound, a kink).
    func testGDNGradients() {
        var rng = RandomGenerator(seed: 8)
        for inverse in [false, true] {
            let layer = GDN(name: inverse ? "igdn" : "gdn", channels: 6, parallelism: Parallelism(threads: 2))
            layer.beta.value = randomTensor([6], &rng, in: 0.5, 1.5)
            layer.gamma.value = randomTensor([6, 6], &rng, in: 0.05, 0.5)
            checkLayer(layer, input: randomTensor([2, 5, 3, 6], &rng, in: -2, 2))
        }
    }

    func testDenseGradients() {
        var rng = RandomGenerator(seed: 3)
        for activation in Activation.allCases {
            let layer = Dense(name: "dense_\(activation)", inputs: 9, units: 7, activation: activation, rng: &rng)
            checkLayer(layer, input: randomTensor([4, 9], &rng))
        }
    }

    func testPoolingAndUpsamplingGradients() {
        var rng = RandomGenerator(seed: 4)
        // Spread-out values so a +-h step never changes which entry is the maximum.
        var x = Tensor(zeros: [2, 4, 6, 3])
        var values = (0..<x.count).map { Float($0) * 0.1 }
        rng.shuffle(&values)
        x.data = values
        checkLayer(MaxPool2D(name: "pool", inputShape: [4, 6, 3], parallelism: Parallelism(threads: 2)), input: x)
        checkLayer(UpSampling2D(name: "up", inputShape: [3, 2, 4], parallelism: Parallelism(threads: 2)),
                   input: randomTensor([2, 3, 2, 4], &rng))
    }

    func testShapeAndActivationLayerGradients() {
        var rng = RandomGenerator(seed: 5)
        checkLayer(Reshape.flatten(name: "flatten", inputShape: [2, 3, 4]), input: randomTensor([2, 2, 3, 4], &rng))
        checkLayer(Reshape(name: "reshape", inputShape: [24], targetShape: [2, 3, 4]), input: randomTensor([2, 24], &rng))
        checkLayer(ActivationLayer.sigmoid(name: "sigmoid", inputShape: [3, 4]), input: randomTensor([2, 3, 4], &rng, in: -3, 3))
        // Keep ReLU inputs away from the kink at zero.
        var x = randomTensor([2, 3, 4], &rng)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = 0.5 }
        checkLayer(ActivationLayer.relu(name: "relu", inputShape: [3, 4]), input: x)
    }

    func testMeanSquaredErrorGradient() {
        var rng = RandomGenerator(seed: 6)
        let p = randomTensor([2, 3, 4], &rng, in: 0, 1), t = randomTensor([2, 3, 4], &rng, in: 0, 1)
        let (_, grad) = MeanSquaredError.lossAndGradient(prediction: p, target: t)
        for i in [0, 5, 11, 23] {
            var plus = p, minus = p
            plus.data[i] += 1e-2
            minus.data[i] -= 1e-2
            let numeric = Double(MeanSquaredError.loss(prediction: plus, target: t)
                                 - MeanSquaredError.loss(prediction: minus, target: t)) / 2e-2
            XCTAssertLessThan(relativeError(Double(grad.data[i]), numeric), tolerance)
        }
    }

    func testGeometricMeanSquaredErrorGradient() {
        var rng = RandomGenerator(seed: 7)
        let p = randomTensor([3, 2, 4], &rng, in: 0, 1), t = randomTensor([3, 2, 4], &rng, in: 0, 1)
        let (_, grad) = GeometricMeanSquaredError.lossAndGradient(prediction: p, target: t)
        for i in [0, 5, 11, 23] {
            var plus = p, minus = p
            plus.data[i] += 1e-2
            minus.data[i] -= 1e-2
            let numeric = Double(GeometricMeanSquaredError.loss(prediction: plus, target: t)
                                 - GeometricMeanSquaredError.loss(prediction: minus, target: t)) / 2e-2
            XCTAssertLessThan(relativeError(Double(grad.data[i]), numeric), tolerance)
        }
    }

    /// Directional derivatives of L = sum(reconstruction * g) for every parameter
    /// tensor of a whole autoencoder on a batch of 2: analytic (gradient . d) for a
    /// random unit direction d against a central difference with step h.
    private func wholeModelErrors(_ model: Autoencoder, h: Float) -> [(name: String, error: Double)] {
        var rng = RandomGenerator(seed: 12)
        let x = randomTensor([2, 32, 32, 3], &rng, in: 0, 1)
        let g = randomTensor([2, 32, 32, 3], &rng)
        model.zeroGradients()
        _ = model.forward(x)
        model.backward(g)
        return model.parameters.map { p in
            let n = p.value.count
            let d = (0..<n).map { _ in (rng.nextUnitFloat() < 0.5 ? -1 : 1) / Float(n).squareRoot() }
            let analytic = zip(p.grad.data, d).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let saved = p.value.data
            p.value.data = zip(saved, d).map { $0 + h * $1 }
            let lp = dot(model.forward(x), g)
            p.value.data = zip(saved, d).map { $0 - h * $1 }
            let lm = dot(model.forward(x), g)
            p.value.data = saved
            return (p.name, relativeError(analytic, (lp - lm) / Double(2 * h)))
        }
    }

    /// The reference architecture with linear hidden activations (smooth but for
    /// rare max-pool switches, and gradients do not vanish), so the
    /// check is exact up to float32 rounding and the odd max-pool switch: every
    /// parameter tensor within 5e-2 (seen: 4e-2 at worst; a wrong pass is off by O(1)).
    func testWholeModelGradientsSmooth() {
        let model = ReferenceModel.build(latentDim: 8, seed: 11, threads: 2, hiddenActivation: .linear)
        let bad = wholeModelErrors(model, h: 1e-2).filter { $0.error > 5e-2 }
        XCTAssertTrue(bad.isEmpty, "\(bad)")
    }

    /// The real ReLU model. Thousands of ReLU kinks sit within reach of any step
    /// big enough to beat float32 rounding, so single tensors can be off by a few
    /// per cent at h = 1e-3; a wrong backward pass is off by far more. Check that
    /// the median error is small and most tensors agree within 10%.
    func testWholeModelGradientsReLU() {
        let model = ReferenceModel.build(latentDim: 8, seed: 11, threads: 2)
        let errors = wholeModelErrors(model, h: 1e-3)
        let sorted = errors.map(\.error).sorted()
        XCTAssertLessThan(sorted[sorted.count / 2], 0.05, "median relative error; all: \(errors)")
        XCTAssertGreaterThanOrEqual(errors.filter { $0.error < 0.1 }.count, errors.count - 2, "\(errors)")
    }
}
