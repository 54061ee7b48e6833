import AENet
import XCTest

/// Compares `FactorizedPrior` with the float64 numpy reference in Fixtures/reference/entropy
/// (Scripts/reference_entropy.py): likelihoods, rate, every gradient, the auxiliary loss, the
/// bisection quantiles, the quantised forward pass and the exported tables.
///
/// Tolerance 1e-5 relative to max(1, |reference|): the prior computes in Double from float32
/// parameters, so the differences come from float32 inputs, outputs and y + noise.
final class FactorizedPriorReferenceTests: XCTestCase {
    let tolerance = 1e-5

    /// |a - b| <= tolerance * max(floor, |b|) elementwise.
    private func assertClose(_ a: [Double], _ b: [Double], relative: Double, floor: Double = 1, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "\(what): count", file: file, line: line)
        guard a.count == b.count else { return }
        var worst = 0.0, at = 0
        for i in a.indices {
            let error = abs(a[i] - b[i]) / max(floor, abs(b[i]))
            if error > worst { (worst, at) = (error, i) }
        }
        XCTAssertLessThanOrEqual(worst, relative, "\(what): worst relative error \(worst) at \(at): \(a[at]) vs \(b[at])",
                                 file: file, line: line)
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, relative: Double, floor: Double = 1, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
        assertClose(a.data.map(Double.init), b.data.map(Double.init), relative: relative, floor: floor, what,
                    file: file, line: line)
    }

    /// A prior with the case's filters and parameters.
    private func prior(_ ref: ReferenceCase) -> FactorizedPrior {
        let filters = (ref.config["filters"] as! [NSNumber]).map(\.intValue)
        var rng = RandomGenerator(seed: 0)
        let prior = FactorizedPrior(channels: ref.int("channels"), filters: filters, rng: &rng)
        for (i, m) in prior.matrices.enumerated() { m.value = ref["matrix\(i)"] }
        for (i, b) in prior.biases.enumerated() { b.value = ref["bias\(i)"] }
        for (i, f) in prior.factors.enumerated() { f.value = ref["factor\(i)"] }
        prior.quantiles.value = ref["quantiles"]
        return prior
    }

    private func check(_ name: String) throws {
        let ref = try ReferenceCase("entropy/\(name)")
        let prior = prior(ref)

        // Training forward with the case's noise, and the rate's gradients.
        let output = prior.forward(ref["input"], noise: ref["noise"])
        assertClose(output.values, ref["values"], relative: tolerance, "\(name) values")
        assertClose(output.likelihoods, ref["likelihoods"], relative: tolerance, floor: 0, "\(name) likelihoods")
        XCTAssertEqual(output.bits, Double(ref["bits"].data[0]), accuracy: tolerance * max(1, output.bits), "\(name) bits")
        for p in prior.parameters { p.zeroGrad() }
        let gradInput = prior.backward(gradValues: ref["grad_values"],
                                       gradLikelihoods: Rate.bitsAndGradient(likelihoods: output.likelihoods).gradient)
        assertClose(gradInput, ref["grad_input"], relative: tolerance, "\(name) grad_input")
        for (i, m) in prior.matrices.enumerated() {
            assertClose(m.grad, ref["grad_matrix\(i)"], relative: tolerance, "\(name) grad_matrix\(i)")
        }
        for (i, b) in prior.biases.enumerated() { assertClose(b.grad, ref["grad_bias\(i)"], relative: tolerance, "\(name) grad_bias\(i)") }
        for (i, f) in prior.factors.enumerated() {
            assertClose(f.grad, ref["grad_factor\(i)"], relative: tolerance, "\(name) grad_factor\(i)")
        }

        // The auxiliary loss and its gradient, which reaches only the quantiles.
        for p in prior.parameters + prior.auxiliaryParameters { p.zeroGrad() }
        let aux = prior.auxiliaryLoss()
        XCTAssertEqual(aux, Double(ref["aux_loss"].data[0]), accuracy: tolerance * max(1, aux), "\(name) aux loss")
        assertClose(prior.quantiles.grad, ref["grad_quantiles"], relative: tolerance, "\(name) grad_quantiles")
        XCTAssertTrue(prior.parameters.allSatisfy { $0.grad.data.allSatisfy { $0 == 0 } }, "\(name): aux loss touched the density")

        // Inference: rounding around the quantiles' medians.
        let quantized = prior.forward(quantizing: ref["input"])
        assertClose(quantized.values, ref["quantized_values"], relative: tolerance, "\(name) quantized values")
        assertClose(quantized.likelihoods, ref["quantized_likelihoods"], relative: tolerance, floor: 0,
                    "\(name) quantized likelihoods")

        // Tables from the case's quantiles.
        let tables = prior.probabilityTables()
        XCTAssertEqual(tables.map { Float($0.minimum) }, ref["table_minimum"].data, "\(name) table minimum")
        XCTAssertEqual(tables.map { Float($0.pmf.count) }, ref["table_length"].data, "\(name) table length")
        assertClose(tables.flatMap(\.pmf), ref["table_pmf"].data.map(Double.init), relative: tolerance, floor: 0,
                    "\(name) table pmf")
        assertClose(tables.map(\.tailMass), ref["table_tail_mass"].data.map(Double.init), relative: 1e-4, floor: 0,
                    "\(name) table tail mass")
        XCTAssertEqual(tables.map(\.median), prior.medians)

        // Bisection from the density.
        prior.setQuantilesByBisection()
        assertClose(prior.quantiles.value, ref["bisection_quantiles"], relative: tolerance, "\(name) bisection quantiles")
    }

    func testDenseLatents() throws { try check("prior_dense") }

    /// NHWC latents, other filters, and two values whose likelihoods sit under the bound.
    func testConvolutionalLatentsAndBound() throws {
        try check("prior_conv")
        let ref = try ReferenceCase("entropy/prior_conv")
        XCTAssertEqual(ref["likelihoods"].data.filter { $0 == 1e-9 }.count, 2, "the case reaches the bound twice")
    }
}
