@testable import AENet
import AEEntropyCoding
import XCTest

/// `GaussianConditional` on its own: gradients against finite differences, the two lower bounds'
/// straight-through rules, the noise and rounding, the same results at any thread count, the scale
/// indices' edge cases, and the tables as the range coder uses them.
final class GaussianConditionalTests: XCTestCase {
    private func relativeError(_ a: Double, _ b: Double) -> Double {
        abs(a - b) / max(abs(a) + abs(b), 1e-3)
    }

    /// Scales log-uniform over 0.2 ... 20 (above the bound) and y within a few scales of 0.
    private func randomCase(_ shape: [Int], _ rng: inout RandomGenerator) -> (y: Tensor, scales: Tensor) {
        var scales = Tensor(zeros: shape), y = Tensor(zeros: shape)
        for i in 0 ..< scales.count {
            scales.data[i] = exp(rng.nextFloat(in: log(0.2), log(20)))
            y.data[i] = scales.data[i] * rng.nextFloat(in: -3, 3)
        }
        return (y, scales)
    }

    /// L = sum(likelihoods * gl) + sum(values * gv), noise fixed: dL/dy and dL/d(scales) against
    /// central differences (h = 1e-3 relative to each value's size, in float32).
    func testGradientsMatchFiniteDifferences() {
        var rng = RandomGenerator(seed: 41)
        let shape = [2, 3, 4, 5]
        let (y, scales) = randomCase(shape, &rng)
        let noise = randomTensor(shape, &rng, in: -0.5, 0.5)
        let gl = randomTensor(shape, &rng), gv = randomTensor(shape, &rng)
        let model = GaussianConditional()
        func loss(_ y: Tensor, _ scales: Tensor) -> Double {
            let output = model.forward(y, scales: scales, noise: noise)
            return dot(output.likelihoods, gl) + dot(output.values, gv)
        }
        _ = model.forward(y, scales: scales, noise: noise)
        let (gradInput, gradScales) = model.backward(gradValues: gv, gradLikelihoods: gl)
        for i in 0 ..< y.count {
            for (which, analytic) in [(0, gradInput.data[i]), (1, gradScales.data[i])] {
                var plus = which == 0 ? y : scales, minus = plus
                let h = max(1e-3 * abs(plus.data[i]), 1e-3)
                plus.data[i] += h
                minus.data[i] -= h
                let numeric = which == 0 ? (loss(plus, scales) - loss(minus, scales)) / Double(plus.data[i] - minus.data[i])
                                         : (loss(y, plus) - loss(y, minus)) / Double(plus.data[i] - minus.data[i])
                XCTAssertLessThan(relativeError(Double(analytic), numeric), 1e-2,
                                  "\(which == 0 ? "d/dy" : "d/dscale")[\(i)]: analytic \(analytic) numeric \(numeric)")
            }
        }
        XCTAssertTrue(gradScales.data.contains { $0 > 0.01 } && gradScales.data.contains { $0 < -0.01 })
    }

    /// A scale under the bound is modelled as the bound; its gradient is the bound's where that is
    /// negative (descent raises the scale) and 0 where it would lower the scale further.
    func testScaleBoundIsStraightThroughForRaisingGradients() {
        let model = GaussianConditional()
        let bound = model.scaleBound
        // Values where d likelihood / ds is positive (|v| > s, the mass grows with the scale) and negative (v = 0).
        let y = Tensor(shape: [4], data: [1, 1, 0, 0])
        let under = Tensor(shape: [4], data: [0.01, -2, 0, 0.05]), at = Tensor(shape: [4], data: [bound, bound, bound, bound])
        let g = Tensor(shape: [4], data: [1, -1, 1, -1])
        let low = model.forward(quantizing: y, scales: under)
        let (_, gradUnder) = model.backward(gradValues: nil, gradLikelihoods: g)
        let atBound = model.forward(quantizing: y, scales: at)
        let (_, gradAt) = model.backward(gradValues: nil, gradLikelihoods: g)
        XCTAssertEqual(low.likelihoods, atBound.likelihoods, "scales under the bound are the bound")
        XCTAssertGreaterThan(gradAt.data[0], 0)
        XCTAssertEqual(gradUnder.data[0], 0, "would lower the scale: stopped")
        XCTAssertLessThan(gradAt.data[1], 0)
        XCTAssertEqual(gradUnder.data[1], gradAt.data[1], "would raise the scale: passes")
        XCTAssertLessThan(gradAt.data[2], 0)
        XCTAssertEqual(gradUnder.data[2], gradAt.data[2], "v = 0, raising: passes")
        XCTAssertGreaterThan(gradAt.data[3], 0)
        XCTAssertEqual(gradUnder.data[3], 0, "v = 0, lowering: stopped")
    }

    /// Far in the tails the likelihood is the bound 1e-9; a gradient that would raise it passes (the
    /// unbounded derivative), one that would lower it does not. Under the rate's gradient (always
    /// negative) a value far out is pulled back.
    func testLikelihoodBoundIsStraightThroughForRaisingGradients() {
        let model = GaussianConditional()
        let y = Tensor(shape: [3], data: [6.6, 6.6, 1e4]), scales = Tensor(shape: [3], data: [1, 1, 1])
        let output = model.forward(y, scales: scales, noise: Tensor(zeros: [3]))
        XCTAssertEqual(output.likelihoods.data, [1e-9, 1e-9, 1e-9])
        let (gradInput, gradScales) = model.backward(gradValues: nil, gradLikelihoods: Tensor(shape: [3], data: [-1, 1, -1]))
        // d likelihood / dv at 6.6 with s = 1: phi(7.1) - phi(6.1) < 0.
        let expected = (StandardNormal.density(7.1) - StandardNormal.density(6.1)) * -1
        XCTAssertEqual(Double(gradInput.data[0]), expected, accuracy: 1e-6 * abs(expected))
        XCTAssertGreaterThan(gradInput.data[0], 0, "a raising gradient pulls the value towards 0")
        XCTAssertEqual(gradInput.data[1], 0)
        XCTAssertEqual(gradScales.data[1], 0)
        XCTAssertEqual(gradInput.data[2], 0, "underflowed: no gradient, no NaN")
        XCTAssertEqual(gradScales.data[2], 0)
        let rate = Rate.bitsAndGradient(likelihoods: output.likelihoods)
        let pulled = model.backward(gradValues: nil, gradLikelihoods: rate.gradient).input
        XCTAssertGreaterThan(pulled.data[0], 0)
    }

    /// Noise is drawn one value at a time in order, as the factorized prior draws it; rounding is ties
    /// to even and taken straight through.
    func testNoiseAndRounding() {
        var rng = RandomGenerator(seed: 42)
        let (y, scales) = randomCase([3, 7], &rng)
        let model = GaussianConditional()
        var a = RandomGenerator(seed: 5), b = RandomGenerator(seed: 5)
        let noisy = model.forward(y, scales: scales, noise: &a)
        for i in 0 ..< y.count {
            let u = b.nextFloat(in: -0.5, 0.5)
            XCTAssertEqual(noisy.values.data[i], y.data[i] + u)
        }
        XCTAssertEqual(a.next(), b.next(), "one draw per value")

        let halves = Tensor(shape: [6], data: [0.5, 1.5, 2.5, -0.5, -1.5, 0.49])
        XCTAssertEqual(model.forward(quantizing: halves, scales: Tensor(shape: [6], data: [1, 1, 1, 1, 1, 1])).values.data,
                       [0, 2, 2, 0, -2, 0])
        XCTAssertEqual(model.symbols(Tensor(shape: [4], data: [3e9, -3e9, .nan, 2.5])), [Int32.max, Int32.min, 0, 2])

        let g = randomTensor(y.shape, &rng), gv = randomTensor(y.shape, &rng)
        let quantized = model.forward(quantizing: y, scales: scales)
        let viaRounding = model.backward(gradValues: gv, gradLikelihoods: g)
        _ = model.forward(quantized.values, scales: scales, noise: Tensor(zeros: y.shape))
        let viaValues = model.backward(gradValues: gv, gradLikelihoods: g)
        XCTAssertEqual(viaRounding.input, viaValues.input)
        XCTAssertEqual(viaRounding.scales, viaValues.scales)
    }

    /// Fixed chunks of values: the same likelihoods and gradients bit for bit at 1, 2 and 3 threads.
    func testSameResultsAtAnyThreadCount() {
        func run(threads: Int) -> [Tensor] {
            var rng = RandomGenerator(seed: 43)
            let (y, scales) = randomCase([2, 20, 24, 6], &rng)  // 5,760 values: three chunks
            let g = randomTensor(y.shape, &rng), gv = randomTensor(y.shape, &rng)
            let model = GaussianConditional(parallelism: Parallelism(threads: threads))
            let output = model.forward(y, scales: scales, noise: &rng)
            let (gradInput, gradScales) = model.backward(gradValues: gv, gradLikelihoods: g)
            return [output.likelihoods, gradInput, gradScales]
        }
        let one = run(threads: 1)
        XCTAssertGreaterThan(one[0].count, 2 * GaussianConditional.chunk)
        for threads in [2, 3] {
            for (a, b) in zip(one, run(threads: threads)) {
                XCTAssertEqual(a.data.map(\.bitPattern), b.data.map(\.bitPattern), "\(threads) threads")
            }
        }
    }

    /// The first table scale at least the scale: on a table value that index, just above it the next;
    /// under the bound 0; above the top, +infinity and NaN the last.
    func testScaleIndexEdgeCases() {
        let model = GaussianConditional(), table = model.scaleTable, last = Int32(table.count - 1)
        func index(_ s: Float) -> Int32 { model.scaleIndices(Tensor(shape: [1], data: [s]))[0] }
        XCTAssertEqual(table.count, 64)
        for j in table.indices {
            XCTAssertEqual(index(table[j]), Int32(j), "on table[\(j)]")
            XCTAssertEqual(index(table[j].nextDown), Int32(j), "just under table[\(j)]")
            XCTAssertEqual(index(table[j].nextUp), min(Int32(j + 1), last), "just over table[\(j)]")
        }
        for s: Float in [0, -0.0, -1, -.infinity, 1e-30, 0.1, model.scaleBound] { XCTAssertEqual(index(s), 0, "\(s)") }
        for s: Float in [256, 257, 1e30, .infinity, .nan, -.nan] { XCTAssertEqual(index(s), last, "\(s)") }

        // And CompressAI's build_indexes (start at the last, subtract one per table scale but the last
        // that the bounded scale is at most) on random scales.
        var rng = RandomGenerator(seed: 44)
        let scales = Tensor(shape: [2000], data: (0 ..< 2000).map { _ in exp(rng.nextFloat(in: log(0.01), log(400))) })
        let expected = scales.data.map { s -> Int32 in
            let bounded = max(s, model.scaleBound)
            return last - Int32(table.dropLast().filter { bounded <= $0 }.count)
        }
        XCTAssertEqual(model.scaleIndices(scales), expected)
    }

    func testStandardNormalQuantile() {
        for (p, x) in [(0.975, 1.959963984540054), (0.5, 0.0), (0.8413447460685429, 1.0), (5e-10, -6.109410204869398)] {
            XCTAssertEqual(StandardNormal.quantile(p), x, accuracy: 1e-12, "\(p)")
            XCTAssertEqual(StandardNormal.quantile(1 - p), -x, accuracy: 1e-6, "1 - \(p)")  // 1 - p rounds
        }
    }

    /// Every table: symmetric, covers -c ... c with c = ceil(s * 6.109...), pmf and tail sum to 1, the
    /// tail at most tailMass, and quantisable by CDFTable (the widest, s = 256, has 3,131 symbols).
    func testTablesSumToOneAndQuantise() throws {
        let model = GaussianConditional()
        let tables = model.probabilityTables()
        XCTAssertEqual(tables.count, model.scaleTable.count)
        let multiplier = -StandardNormal.quantile(model.tailMass / 2)
        for (table, scale) in zip(tables, model.scaleTable) {
            let c = Int((Double(scale) * multiplier).rounded(.up))
            XCTAssertEqual(table.minimum, Int32(-c))
            XCTAssertEqual(table.pmf.count, 2 * c + 1)
            XCTAssertEqual(table.pmf, table.pmf.reversed(), "symmetric")
            XCTAssertEqual(table.pmf.reduce(0, +), 1 - table.tailMass, accuracy: 1e-9, "scale \(scale)")
            XCTAssertLessThanOrEqual(table.tailMass, model.tailMass)
            let cdf = try CDFTable(quantizing: table.pmf, tailMass: table.tailMass, offset: table.minimum)
            XCTAssertEqual(cdf.directRange, Int64(-c) ..< Int64(c + 1))
        }
        XCTAssertEqual(tables[0].pmf.count, 3)
        XCTAssertEqual(tables.last!.pmf.count, 3131)
    }

    /// Values drawn from N(0, s^2) for scales across the table, coded with the table of each one's
    /// scale index: decode exactly and cost close to the model's rate at the table scales.
    func testRangeCodingWithTheTables() throws {
        let model = GaussianConditional()
        let tables = try model.probabilityTables().map {
            try CDFTable(quantizing: $0.pmf, tailMass: $0.tailMass, offset: $0.minimum)
        }
        var rng = RandomGenerator(seed: 45)
        let count = 20_000
        var scales = Tensor(zeros: [count]), y = Tensor(zeros: [count])
        for i in 0 ..< count {
            scales.data[i] = model.scaleTable[8 + rng.nextInt(below: 56)]  // 0.3 ... 256: at least ~1 bit each
            y.data[i] = scales.data[i] * rng.nextGaussian()
        }
        y.data[5] = 5_000  // escapes
        let symbols = model.symbols(y), indices = model.scaleIndices(scales).map(Int.init)
        let bytes = RangeEncoder.encode(symbols, tableIndexes: indices, tables: tables)
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: indices, tables: tables), symbols)
        let ideal = model.forward(quantizing: y, scales: scales).bits, coded = Double(8 * bytes.count)
        XCTAssertLessThan(abs(coded - ideal) / ideal, 0.02, "coded \(coded) bits, model's rate \(ideal) bits")
    }
}
