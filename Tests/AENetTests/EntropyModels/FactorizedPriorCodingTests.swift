import AEEntropyCoding
import AENet
import XCTest

/// The plumbing from a trained prior to the range coder, as the codec will do it: tables from
/// `probabilityTables()` become integer `CDFTable`s, the prior's symbols are range coded, decode
/// exactly, and cost what the prior's likelihoods say.
final class FactorizedPriorCodingTests: XCTestCase {
    func testTrainedPriorTablesRangeCodeNearTheIdealRate() throws {
        let prior = FactorizedPriorTrainingTests.trainedPrior(steps: 200)
        prior.setQuantilesByBisection()
        let tables = try prior.probabilityTables().map {
            try CDFTable(quantizing: $0.pmf, tailMass: $0.tailMass, offset: $0.minimum)
        }

        // Fresh samples of the distributions the prior was fitted to, and two far outliers for the escape.
        var rng = RandomGenerator(seed: 31)
        let channels = prior.channels, count = 5_000
        var y = Tensor(zeros: [count, channels])
        for i in 0 ..< y.count { y.data[i] = FactorizedPriorTrainingTests.distributions[i % channels].sample(&rng) }
        y.data[10] = 10_000
        y.data[21] = -123_456
        let symbols = prior.symbols(y)
        let tableIndexes = symbols.indices.map { $0 % channels }
        XCTAssertFalse(tables[0].directRange.contains(Int64(symbols[10])), "the outlier escapes")

        let bytes = RangeEncoder.encode(symbols, tableIndexes: tableIndexes, tables: tables)
        XCTAssertEqual(try RangeDecoder.decode(bytes, tableIndexes: tableIndexes, tables: tables), symbols)
        let quantized = prior.forward(quantizing: y)
        XCTAssertEqual(prior.values(symbols: symbols, shape: y.shape), quantized.values)

        // The coded size against the prior's rate (-sum log2 likelihood, in float): the tables'
        // 16-bit rounding and the escapes' bypass bits cost a little, the 4-byte state a little more.
        let ideal = quantized.bits, coded = Double(8 * bytes.count)
        XCTAssertLessThan(abs(coded - ideal) / ideal, 0.01, "coded \(coded) bits, prior's rate \(ideal) bits")
        XCTAssertGreaterThan(ideal / Double(symbols.count), 2, "the data are not trivially cheap")
    }
}
