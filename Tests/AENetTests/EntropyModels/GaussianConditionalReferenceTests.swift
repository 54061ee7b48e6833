@testable import AENet
import XCTest

/// Compares `GaussianConditional` with the float64 numpy reference in Fixtures/reference/gaussian
/// (Scripts/reference_gaussian.py): likelihoods, both gradients through both bounds, the quantised
/// forward pass, the scale indices, the default scale table and the exported tables.
///
/// The model computes in Double from float32 inputs and stores float32, so the likelihoods and
/// gradients agree to float32 rounding (tolerance 1e-5 relative, with no floor: the tails' tiny
/// values count too); the values and indices are exact.
final class GaussianConditionalReferenceTests: XCTestCase {
    let tolerance = 1e-5

    /// |a - b| <= relative * max(floor, |b|) elementwise.
    private func assertClose(_ a: [Double], _ b: [Double], relative: Double, floor: Double, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, "\(what): count", file: file, line: line)
        guard a.count == b.count else { return }
        var worst = 0.0, at = 0
        for i in a.indices {
            let error = abs(a[i] - b[i]) / max(floor, abs(b[i]))
            if error.isNaN || error > worst { (worst, at) = (error.isNaN ? .infinity : error, i) }
        }
        XCTAssertLessThanOrEqual(worst, relative, "\(what): worst relative error \(worst) at \(at): \(a[at]) vs \(b[at])",
                                 file: file, line: line)
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, floor: Double = 1e-30, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
        assertClose(a.data.map(Double.init), b.data.map(Double.init), relative: tolerance, floor: floor, what,
                    file: file, line: line)
    }

    func testTrainingForwardAndGradients() throws {
        let ref = try ReferenceCase("gaussian/gaussian_conv")
        let model = GaussianConditional()
        XCTAssertEqual(model.scaleBound, Float(ref.config["scale_bound"] as! Double))
        let output = model.forward(ref["input"], scales: ref["scales"], noise: ref["noise"])
        XCTAssertEqual(output.values, ref["values"], "y + noise in float32")
        assertClose(output.likelihoods, ref["likelihoods"], "likelihoods")
        let atBound = output.likelihoods.data.filter { $0 == 1e-9 }.count
        XCTAssertEqual(atBound, ref["likelihoods"].data.filter { $0 == 1e-9 }.count, "likelihoods at the bound")
        XCTAssertGreaterThanOrEqual(atBound, 5, "the case reaches the likelihood bound")

        let (gradInput, gradScales) = model.backward(gradValues: ref["grad_values"], gradLikelihoods: ref["grad_likelihoods"])
        assertClose(gradInput, ref["grad_input"], "grad_input")
        assertClose(gradScales, ref["grad_scales"], "grad_scales")
        // Both bounds stop a gradient somewhere (exactly 0) and pass one elsewhere.
        XCTAssertEqual(gradScales.data[1], 0, "scale under the bound, gradient that would lower it")
        XCTAssertLessThan(gradScales.data[2], 0, "scale under the bound, gradient that would raise it")
        XCTAssertEqual(Double(gradInput.data[7]), Double(ref["grad_values"].data[7]), "likelihood under the bound, positive gradient")
    }

    func testQuantizedForwardAndScaleIndices() throws {
        let ref = try ReferenceCase("gaussian/gaussian_conv")
        let model = GaussianConditional()
        let output = model.forward(quantizing: ref["input"], scales: ref["scales"])
        XCTAssertEqual(output.values, ref["quantized_values"], "round(y), ties to even")
        assertClose(output.likelihoods, ref["quantized_likelihoods"], "quantized likelihoods")
        XCTAssertEqual(model.scaleIndices(ref["scales"]).map(Float.init), ref["scale_indices"].data)
        XCTAssertEqual(model.symbols(ref["input"]).map(Float.init), ref["quantized_values"].data)
    }

    func testDefaultScaleTableAndTables() throws {
        let ref = try ReferenceCase("gaussian/gaussian_tables")
        XCTAssertEqual(GaussianConditional.defaultScaleTable, ref["scale_table"].data, "bit for bit")
        XCTAssertEqual(-StandardNormal.quantile(1e-9 / 2), try referenceDoubles("gaussian/gaussian_tables", "multiplier")[0],
                       accuracy: 1e-12, "bisection and Newton's method agree")
        let all = GaussianConditional().probabilityTables()
        let tables = ref["table_index"].data.map { all[Int($0)] }
        XCTAssertEqual(tables.map { Float($0.minimum) }, ref["table_minimum"].data, "table minimum")
        XCTAssertEqual(tables.map { Float($0.pmf.count) }, ref["table_length"].data, "table length")
        XCTAssertTrue(tables.allSatisfy { $0.median == 0 })
        // The reference is float64 end to end here: compare the Doubles of the file, not its floats.
        let pmfs = try referenceDoubles("gaussian/gaussian_tables", "table_pmf")
        let tails = try referenceDoubles("gaussian/gaussian_tables", "table_tail_mass")
        assertClose(tables.flatMap(\.pmf), pmfs, relative: 1e-9, floor: 1e-300, "table pmf")
        assertClose(tables.map(\.tailMass), tails, relative: 1e-9, floor: 1e-300, "table tail mass")
    }

    /// A tensor of the fixture in Double (ReferenceCase keeps Float).
    private func referenceDoubles(_ name: String, _ key: String) throws -> [Double] {
        let url = fixturesURL.appendingPathComponent("reference/\(name).json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let tensor = (json["tensors"] as! [String: Any])[key] as! [String: Any]
        return (tensor["data"] as! [NSNumber]).map(\.doubleValue)
    }
}
