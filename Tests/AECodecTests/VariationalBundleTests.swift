import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Variational models in bundles (format 1.6): the variant is recorded and rebuilt, a
/// reader that ignores the key refuses the network instead of misreading it, and the
/// codec encodes the mean.
final class VariationalBundleTests: XCTestCase {
    static let goldenMetadataURL = TestFixtures.url("bundles").appendingPathComponent("variational-metadata-v1.6.json")

    /// Fixed metadata of a conditional variational model with every 1.6 key: variant,
    /// condition classes, beta, input noise, per-epoch KL.
    static func goldenMetadata() throws -> BundleMetadata {
        let model = ReferenceModel.build(latentDim: 2, seed: 1, variational: true, conditionClasses: 10)
        var options = TrainingOptions()
        options.epochs = 1
        options.inputNoise = .gaussian(sigma: 0.1)
        var m = BundleMetadata(describing: model, tool: .init(name: "golden-generator", version: "0.1.0"))
        m.createdAt = "2026-01-01T00:00:00Z"
        m.training = .init(options: options, loss: VariationalLoss(beta: 0.5))
        var record = EpochRecord(epoch: 1, trainLoss: 0.05, validationLoss: 0.04, seconds: 2, imagesPerSecond: 100)
        record.trainMSE = 0.045
        record.trainKL = 15.36
        record.validationMSE = 0.035
        record.validationKL = 15.5
        m.metrics = .init(history: [record])
        return m
    }

    /// Regenerates the golden metadata (AE_REGENERATE_GOLDEN=1 only; never to make a change pass).
    func testRegenerateGoldenMetadata() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN=1 to regenerate Fixtures/bundles/variational-metadata-v1.6.json")
        }
        try Data(try Self.goldenMetadata().jsonBytes() + [10]).write(to: Self.goldenMetadataURL)
    }

    /// The committed 1.6 metadata reads with every key, and today's writer gives the same bytes.
    func testGoldenMetadata() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.goldenMetadataURL))
        let m = try BundleMetadata.decode(bytes, path: "golden")
        XCTAssertEqual(m.architecture.variant, "variational")
        XCTAssertEqual(m.architecture.latentDim, 2)
        XCTAssertEqual(m.architecture.layers.last { $0.part == .encoder }?.kind, "GaussianSampling")
        XCTAssertEqual(m.architecture.layers.first { $0.name == "dense" }?.outputShape, [4])
        XCTAssertEqual(m.architecture.conditionClasses, 10)
        XCTAssertEqual(m.architecture.layers.first { $0.name == "dense" }?.inputShape, [2058])
        XCTAssertEqual(m.architecture.layers.first { $0.part == .decoder }?.kind, "LabelConcat")
        XCTAssertEqual(m.training?.beta, 0.5)
        XCTAssertEqual(m.training?.inputNoise, "gaussian:0.1")
        XCTAssertEqual(m.metrics?.epochs.first?.trainKL, 15.36)
        XCTAssertEqual(m.metrics?.epochs.first?.validationKL, 15.5)
        XCTAssertTrue(m.usesVersion16Keys)
        XCTAssertEqual(try Self.goldenMetadata().jsonBytes() + [10], bytes, "the writer's JSON changed")
        XCTAssertTrue(m.training?.loss is VariationalLoss)
        XCTAssertEqual(m.training?.options.inputNoise, .gaussian(sigma: 0.1))
    }

    func testRoundTripAndTheCodecEncodesTheMean() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("vae.aemodel").path
        let model = ReferenceModel.build(latentDim: 4, seed: 2, variational: true)
        var metadata = BundleMetadata(describing: model)
        metadata.training = .init(options: TrainingOptions(), loss: VariationalLoss(beta: 1))
        _ = try ModelBundle(model: model, metadata: metadata).write(to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(try BundleContainer.parseHeader(bytes, fileSize: bytes.count, path: path).version, "1.6")

        let bundle = try ModelBundle.read(path: path)
        XCTAssertEqual(bundle.metadata.architecture.variant, "variational")
        XCTAssertEqual(bundle.metadata.training?.beta, 1)
        let rebuilt = try bundle.makeModel()
        XCTAssertNotNil(rebuilt.sampler)
        let input = BundleTesting.patternImages(2)
        XCTAssertEqual(rebuilt.forward(input), model.forward(input))

        // The codec: the latent file holds the mean (as float16), and decodes like the network.
        let codec = try ImageCodec(bundle: bundle)
        let image = ImageSet(height: 32, width: 32, channels: 3,
                             pixels: input.data[0 ..< 3072].map { UInt8(($0 * 255).rounded()) }).pngImage(at: 0)
        let file = codec.encode(CodecImage(image: image, colorType: .rgb, bitDepth: 8))
        let mean = model.encode(ImageSet(height: 32, width: 32, channels: 3, pixels: image.pixels).batch(0 ..< 1))
        XCTAssertEqual(file.latents.count, 4)
        for (a, b) in zip(file.latents, mean.data) { XCTAssertEqual(a, b, accuracy: abs(b) * 1e-3 + 1e-3) }
        XCTAssertEqual(codec.encode(CodecImage(image: image, colorType: .rgb, bitDepth: 8)).latents, file.latents, "deterministic")
        let decoded = try codec.decode(file)
        XCTAssertEqual(decoded.width, 32)
    }

    func testAReaderIgnoringTheVariantRefusesTheNetwork() throws {
        let model = ReferenceModel.build(latentDim: 4, seed: 2, variational: true)
        var bundle = ModelBundle(model: model)
        bundle.metadata.architecture.variant = nil  // what a 1.5 reader sees
        let error = BundleTesting.bundleError { _ = try bundle.makeModel() }
        XCTAssertTrue("\(error!)".contains("dense"), "\(error!)")
        bundle.metadata.architecture.variant = "adversarial"
        let unknown = BundleTesting.bundleError { _ = try bundle.makeModel() }
        XCTAssertTrue("\(unknown!)".contains("variant \"adversarial\""), "\(unknown!)")
        // And a plain bundle stays plain, at its old version.
        let plain = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 2))
        XCTAssertNil(plain.metadata.architecture.variant)
        XCTAssertFalse(plain.metadata.usesVersion16Keys)
    }
}

/// Conditional models in bundles: the classes are recorded and rebuilt; a reader that
/// ignores the key refuses the network.
final class ConditionalBundleTests: XCTestCase {
    func testRoundTripAndOlderReaders() throws {
        let model = ReferenceModel.build(latentDim: 3, seed: 2, conditionClasses: 10)
        var bundle = ModelBundle(model: model)
        XCTAssertEqual(bundle.metadata.architecture.conditionClasses, 10)
        XCTAssertTrue(bundle.metadata.usesVersion16Keys)
        XCTAssertEqual(bundle.metadata.architecture.layers.filter { $0.kind == "LabelConcat" }.map(\.name),
                       ["label_concat", "label_concat_1"])
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("c.aemodel").path
        _ = try bundle.write(to: path)
        let rebuilt = try ModelBundle.read(path: path).makeModel()
        let input = BundleTesting.patternImages(2)
        model.setLabels([1, 8])
        rebuilt.setLabels([1, 8])
        XCTAssertEqual(rebuilt.forward(input), model.forward(input))

        bundle.metadata.architecture.conditionClasses = nil  // what a 1.5 reader sees
        let error = BundleTesting.bundleError { _ = try bundle.makeModel() }
        XCTAssertTrue("\(error!)".contains("label_concat"), "\(error!)")
    }
}

/// aeinfo's view of the 1.6 keys.
final class ExperimentBundleInfoTests: XCTestCase {
    func testTextShowsTheVariantTheClassesTheBetaAndTheNoise() throws {
        let path = try BundleTesting.temporaryFolder(self).appendingPathComponent("v.aemodel").path
        let model = ReferenceModel.build(latentDim: 2, seed: 1, variational: true, conditionClasses: 10)
        var options = TrainingOptions()
        options.inputNoise = .saltAndPepper(probability: 0.05)
        var metadata = BundleMetadata(describing: model)
        metadata.training = .init(options: options, loss: VariationalLoss(beta: 0.25))
        _ = try ModelBundle(model: model, metadata: metadata).write(to: path)
        let text = try BundleInfo(path: path).text()
        for expected in ["format: version 1.6", "variant: variational, trained with beta 0.25; conditional on 10 classes",
                         "denoising: inputs corrupted by salt-pepper:0.05", "GaussianSampling", "LabelConcat"] {
            XCTAssertTrue(text.contains(expected), "missing \(expected) in:\n\(text)")
        }
        let plain = try BundleInfo(path: TestFixtures.goldenBundlePath).text()
        XCTAssertFalse(plain.contains("variant:"))
        XCTAssertFalse(plain.contains("denoising:"))
    }
}
