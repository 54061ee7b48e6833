import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// The committed golden bundle (Fixtures/bundles/golden-v1.aemodel): every later
/// reader must still read it, with the same fingerprint, metadata and outputs.
final class GoldenBundleTests: XCTestCase {
    static let bundleURL = TestFixtures.url("bundles").appendingPathComponent("golden-v1.aemodel")
    static let expectedURL = TestFixtures.url("bundles").appendingPathComponent("golden-v1.json")

    /// What golden-v1.json records.
    struct Expected: Codable {
        var fingerprint: String
        var fileSize: Int
        var formatVersion: String
        var latentDim: Int
        var modelSeed: UInt64
        var weightType: String
        var tensorCount: Int
        var parameterCount: Int
        /// The decoder's input: one latent vector.
        var decoderInput: [Float]
        /// Flat indices into the decoder's [1, 32, 32, 3] output and the values there.
        var decoderOutputIndices: [Int]
        var decoderOutputValues: [Float]
        var decoderOutputMean: Double
        /// The encoder's output for `BundleTesting.patternImages(1)`.
        var encoderOutput: [Float]
        var tolerance: Float
    }

    static let decoderInput: [Float] = [3, -6, 1.5, 12]
    static let sampleIndices = [0, 1, 2, 100, 1000, 1536, 2047, 3071]

    static func goldenMetadata(_ model: Autoencoder) -> BundleMetadata {
        var options = TrainingOptions()
        options.epochs = 2
        var m = BundleMetadata(describing: model, tool: .init(name: "golden-generator", version: "0.1.0"))
        m.createdAt = "2025-01-01T00:00:00Z"
        m.training = .init(options: options,
                           dataSource: .init(kind: "synthetic",
                                             description: "golden fixture: untrained weights of ReferenceModel.build(latentDim: 4, seed: 7); training figures are illustrative",
                                             sampleCount: 1000, trainCount: 900, validationCount: 100, testCount: 200),
                           initSeed: 7, threads: 1, wallTimeSeconds: 12.5)
        m.metrics = .init(epochs: [], testMSE: 0.0125, testPSNR: 10 * log10(1 / 0.0125))
        m.metrics!.epochs = [
            try! JSONDecoder().decode(BundleMetadata.EpochMetrics.self, from: Data(#"{"epoch":1,"trainLoss":0.05,"validationLoss":0.03,"seconds":6.25,"imagesPerSecond":144}"#.utf8)),
            try! JSONDecoder().decode(BundleMetadata.EpochMetrics.self, from: Data(#"{"epoch":2,"trainLoss":0.02,"validationLoss":0.0125,"seconds":6.25,"imagesPerSecond":144}"#.utf8)),
        ]
        return m
    }

    /// Regenerates the golden files. Runs only with AE_REGENERATE_GOLDEN=1; see
    /// Fixtures/bundles/README.md. Never needed unless the fixture itself must change.
    func testRegenerateGoldenBundle() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN=1 to regenerate Fixtures/bundles/golden-v1.*")
        }
        try FileManager.default.createDirectory(at: TestFixtures.url("bundles"), withIntermediateDirectories: true)
        let model = ReferenceModel.build(latentDim: 4, seed: 7)
        let fingerprint = try ModelBundle(model: model, metadata: Self.goldenMetadata(model))
            .write(to: Self.bundleURL.path, weights: .f16, force: true)
        // Expected outputs come from the weights as stored (float16).
        let stored = try ModelBundle.read(path: Self.bundleURL.path).makeModel()
        let decoded = stored.decode(Tensor(shape: [1, 4], data: Self.decoderInput))
        let encoded = stored.encode(BundleTesting.patternImages(1))
        let size = try FileManager.default.attributesOfItem(atPath: Self.bundleURL.path)[.size] as! Int
        let expected = Expected(
            fingerprint: fingerprint, fileSize: size, formatVersion: "1.0", latentDim: 4, modelSeed: 7,
            weightType: "float16", tensorCount: model.parameters.count, parameterCount: model.parameterCount,
            decoderInput: Self.decoderInput, decoderOutputIndices: Self.sampleIndices,
            decoderOutputValues: Self.sampleIndices.map { decoded.data[$0] },
            decoderOutputMean: decoded.data.reduce(0.0) { $0 + Double($1) } / Double(decoded.count),
            encoderOutput: encoded.data, tolerance: 1e-5)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try (encoder.encode(expected) + Data("\n".utf8)).write(to: Self.expectedURL)
    }

    func testGoldenBundleReadsWithItsFingerprintMetadataAndOutputs() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.expectedURL))
        let info = try BundleInfo(path: Self.bundleURL.path)
        let bundle = info.bundle
        let header = info.container.header
        XCTAssertEqual("\(header.majorVersion).\(header.minorVersion)", expected.formatVersion)
        XCTAssertEqual(Int(header.fileLength), expected.fileSize)
        XCTAssertEqual(bundle.fingerprint, expected.fingerprint)
        XCTAssertEqual(bundle.weightType.name, expected.weightType)
        XCTAssertEqual(bundle.tensors.count, expected.tensorCount)

        let m = bundle.metadata
        XCTAssertEqual(m.kind, .model)
        XCTAssertEqual(m.architecture.family, "reference-svhn")
        XCTAssertEqual(m.architecture.latentDim, expected.latentDim)
        XCTAssertEqual(m.architecture.inputShape, [32, 32, 3])
        XCTAssertEqual(m.architecture.hiddenActivation, "relu")
        XCTAssertEqual(m.architecture.parameterCount, expected.parameterCount)
        XCTAssertEqual(m.architecture.layers.map(\.name).first, "conv2d")
        XCTAssertEqual(m.architecture.layers.map(\.name).last, "conv2d_3")
        XCTAssertEqual(m.architecture.layers.last?.activation, "sigmoid")
        XCTAssertEqual(m.normalization, .unitRange)
        XCTAssertEqual(m.tool, .init(name: "golden-generator", version: "0.1.0"))
        XCTAssertEqual(m.createdAt, "2025-01-01T00:00:00Z")
        XCTAssertEqual(m.training?.dataSource?.kind, "synthetic")
        XCTAssertEqual(m.training?.dataSource?.sampleCount, 1000)
        XCTAssertEqual(m.training?.epochs, 2)
        XCTAssertEqual(m.training?.batchSize, 128)
        XCTAssertEqual(m.training?.optimizer.name, "adam")
        XCTAssertEqual(m.training?.optimizer.learningRate, 1e-3)
        XCTAssertEqual(m.training?.initSeed, expected.modelSeed)
        XCTAssertEqual(m.training?.wallTimeSeconds, 12.5)
        XCTAssertEqual(m.metrics?.epochs.map(\.trainLoss), [0.05, 0.02])
        XCTAssertEqual(m.metrics?.epochs.map(\.validationLoss), [0.03, 0.0125])
        XCTAssertEqual(m.metrics?.testMSE, 0.0125)
        XCTAssertNil(m.checkpoint)
        XCTAssertEqual(info.unknownMetadataKeys, [])

        let model = try bundle.makeModel()
        let decoded = model.decode(Tensor(shape: [1, expected.latentDim], data: expected.decoderInput))
        XCTAssertEqual(decoded.shape, [1, 32, 32, 3])
        for (i, value) in zip(expected.decoderOutputIndices, expected.decoderOutputValues) {
            XCTAssertEqual(decoded.data[i], value, accuracy: expected.tolerance, "decoder output [\(i)]")
        }
        let mean = decoded.data.reduce(0.0) { $0 + Double($1) } / Double(decoded.count)
        XCTAssertEqual(mean, expected.decoderOutputMean, accuracy: Double(expected.tolerance))
        let encoded = model.encode(BundleTesting.patternImages(1))
        for (a, b) in zip(encoded.data, expected.encoderOutput) {
            XCTAssertEqual(a, b, accuracy: expected.tolerance * 10, "encoder output")
        }

        // This build's writer stores the same weights with the same fingerprint.
        XCTAssertEqual(bundle.fingerprint(weights: .f16), expected.fingerprint)
        XCTAssertEqual(try ModelBundle.decode(bundle.encoded(weights: .f16)).fingerprint, expected.fingerprint)
    }
}
