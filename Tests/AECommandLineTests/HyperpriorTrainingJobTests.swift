import AEProcess
import AECodec
@testable import AECommandLine
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// aetrain --family conv-hyperprior: a trained bundle the codec takes, and --init-from a
/// conv-factorized model starting from its transforms.
final class HyperpriorTrainingJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    /// 32 random 16x16 crops of the fixture photos, N = M = 4, one epoch.
    private func settings(family: String, output: String) -> TrainingJob.Settings {
        var s = TrainingJob.Settings()
        s.data = ["png:" + TestFixtures.path("data/svhn_photos/train") + ",crops=random,count=32,size=16,seed=1"]
        s.output = folder + "/" + output
        s.family = family
        s.channels = 4
        s.latentChannels = 4
        s.lambda = 0.01
        s.limit = nil
        s.options.epochs = 1
        s.options.batchSize = 8
        s.options.validationSplit = 0.25
        s.options.seed = 2
        s.initSeed = 2
        s.threads = 2
        return s
    }

    private func run(_ s: TrainingJob.Settings) throws -> TrainingJob.Result {
        try TrainingJob(settings: s).run(output: TerminalOutput(mode: .quiet))
    }

    func testTrainsABundleTheCodecTakes() throws {
        let result = try run(settings(family: "conv-hyperprior", output: "h.aemodel"))
        XCTAssertEqual(try BundleContainer.read(path: result.bundlePath).header.version, "1.8")
        let bundle = try ModelBundle.read(path: result.bundlePath)
        XCTAssertEqual(bundle.metadata.architecture.family, "conv-hyperprior")
        XCTAssertEqual(bundle.metadata.architecture.entropyModel?.kind, "hyperprior")
        XCTAssertNotNil(bundle.metadata.metrics?.epochs.first?.validationBitsPerPixel)
        let tables = try XCTUnwrap(try EntropyTables(bundle: bundle))
        XCTAssertEqual(tables.scales?.count, 64)
        let codec = try EntropyCodec(bundle: bundle)
        let image = CodecImage(image: PNGImage(width: 20, height: 18, channels: 3,
                                               pixels: (0 ..< 20 * 18 * 3).map { UInt8(($0 * 37) % 256) }),
                               colorType: .rgb, bitDepth: 8)
        let decoded = try codec.decode(try CodedLatentFile.decode(try codec.encode(image).encoded()))
        XCTAssertEqual([decoded.width, decoded.height], [20, 18])
    }

    /// --init-from a conv-factorized bundle: the new model's analysis and synthesis weights
    /// are the bundle's, its hyperprior fresh; a reference-family model is refused.
    func testInitFromAFactorizedModelKeepsItsTransforms() throws {
        let factorized = try run(settings(family: "conv-factorized", output: "f.aemodel"))
        var s = settings(family: "conv-hyperprior", output: "h.aemodel")
        s.initFrom = factorized.bundlePath
        let job = TrainingJob(settings: s)
        let model = try job.makeModel(images: ImageSet(height: 16, width: 16, channels: 3, pixels: []))
        let source = try ModelBundle.read(path: factorized.bundlePath).makeModel()
        XCTAssertNotNil(model.hyperprior)
        XCTAssertEqual((model.encoder.parameters + model.decoder.parameters).map(\.value.data),
                       (source.encoder.parameters + source.decoder.parameters).map(\.value.data))

        let reference = folder + "/r.aemodel"
        try ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 1)).write(to: reference)
        s.initFrom = reference
        XCTAssertThrowsError(try TrainingJob(settings: s).makeModel(images: ImageSet(height: 16, width: 16, channels: 3, pixels: []))) {
            XCTAssertTrue("\($0)".contains("is not a conv-factorized model"), "\($0)")
        }
    }

    func testRefusesTrainingWithoutLambda() throws {
        var s = settings(family: "conv-hyperprior", output: "h.aemodel")
        s.lambda = nil
        XCTAssertThrowsError(try run(s)) { XCTAssertTrue("\($0)".contains("give --lambda"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: s.output))
    }
}
