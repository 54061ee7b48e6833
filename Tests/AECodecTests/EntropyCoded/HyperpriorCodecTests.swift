import AEBase
@testable import AECodec
import AEEntropyCoding
import AEFormats
import AENet
import Foundation
import AETestSupport
import XCTest

/// The hyperprior photo codec (family conv-hyperprior, issue 14): bundles, coding order,
/// determinism and damaged streams.
final class HyperpriorCodecTests: XCTestCase {
    static var tinyBundlePath: String { EntropyCodecTesting.fixtures + "/hyper-tiny.aemodel" }

    /// An untrained conv-hyperprior bundle (N = 8, M = 6) with bisected quantiles and its tables.
    static func untrainedBundle(seed: UInt64 = 1) throws -> ModelBundle {
        let model = ConvolutionalHyperpriorModel.build(channels: 8, latentChannels: 6, seed: seed)
        let hyper = try XCTUnwrap(model.hyperprior)
        hyper.prior.setQuantilesByBisection()
        var metadata = BundleMetadata(describing: model)
        metadata.architecture.family = ModelFamily.hyperprior.name
        return ModelBundle(model: model, metadata: metadata).withEntropyTables(try EntropyTables(hyperprior: hyper))
    }

    func testBundleRoundTripAndDescription() throws {
        let bundle = try Self.untrainedBundle()
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("hyper.aemodel").path
        try bundle.write(to: path)
        XCTAssertEqual(try BundleContainer.read(path: path).header.version, "1.8")
        let read = try ModelBundle.read(path: path)
        let arch = read.metadata.architecture
        XCTAssertEqual(arch.family, "conv-hyperprior")
        XCTAssertEqual(arch.entropyModel?.kind, "hyperprior")
        XCTAssertEqual(arch.entropyModel?.channels, 8)
        XCTAssertEqual(arch.entropyModel?.auxiliaryParameters, ["hyper_prior/quantiles"])
        XCTAssertEqual(arch.layers.filter { $0.part == .hyperAnalysis }.map(\.name),
                       ["hyper_analysis_conv0", "hyper_analysis_conv1", "hyper_analysis_conv2"])
        XCTAssertEqual(arch.layers.filter { $0.part == .hyperSynthesis }.count, 3)
        let tables = try XCTUnwrap(try EntropyTables(bundle: read))
        XCTAssertEqual(tables.scales, GaussianConditional.defaultScaleTable)
        XCTAssertEqual(tables.priorTableCount, 8)
        XCTAssertEqual(tables.tables.count, 8 + 64)
        XCTAssertEqual(tables.medians.suffix(64), ArraySlice([Float](repeating: 0, count: 64)))
        let model = try read.makeModel()
        let original = try bundle.makeModel()
        XCTAssertEqual(model.parameters.map(\.name), original.parameters.map(\.name))
        XCTAssertEqual(model.parameters.map(\.value.data), original.parameters.map(\.value.data))
        XCTAssertEqual(model.auxiliaryParameters.map(\.value.data), original.auxiliaryParameters.map(\.value.data))
    }

    /// The family refuses a factorized entropy model, and the tables reader refuses a
    /// damaged scale table.
    func testMismatchesAreRefused() throws {
        let bundle = try Self.untrainedBundle()
        var wrongKind = bundle
        wrongKind.metadata.architecture.entropyModel?.kind = "factorized"
        XCTAssertThrowsError(try wrongKind.makeModel()) { XCTAssertTrue("\($0)".contains("kind \"hyperprior\""), "\($0)") }
        let scales = try XCTUnwrap(bundle[EntropyTables.scaleName])
        for damage in [{ (v: inout [Float]) in v[3] = v[2] }, { (v: inout [Float]) in v[0] = -1 }, { (v: inout [Float]) in v[5] = .nan }] {
            var values = scales.values
            damage(&values)
            var b = bundle
            b.tensors.removeAll { $0.name == EntropyTables.scaleName }
            b.tensors.append(BundleTensor(name: EntropyTables.scaleName, shape: scales.shape, values: values))
            XCTAssertThrowsError(try EntropyTables(bundle: b)) { XCTAssertTrue("\($0)".contains("entropy/scale"), "\($0)") }
        }
        // Without its scale table the tables are a factorized prior's, which do not fit the model.
        var noScales = bundle
        noScales.tensors.removeAll { $0.name == EntropyTables.scaleName }
        XCTAssertThrowsError(try EntropyCodec(bundle: noScales)) { XCTAssertTrue("\($0)".contains("do not fit its hyperprior"), "\($0)") }
    }

    /// The decoder reconstructs exactly the encoder's rounded latent, whatever the size, and
    /// the stream holds z's symbols then y's, under the tables the scales pick.
    func testRoundTripGivesTheEncodersRoundedLatent() throws {
        let codec = try EntropyCodec(bundle: try Self.untrainedBundle())
        XCTAssertTrue(codec.codesWholeImages)
        XCTAssertEqual(codec.channels, 6)
        for (w, h, c) in [(40, 24, 4), (17, 33, 1), (70, 50, 3), (5, 3, 2)] {
            let image = EntropyCodecTesting.image(width: w, height: h, channels: c)
            let file = try CodedLatentFile.decode(try codec.encode(image).encoded())
            let decoded = try codec.decode(file)
            XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [w, h, c])
            let latent = try codec.latent(of: image)
            XCTAssertEqual(latent.shape, codec.latentShape(width: w, height: h))
            let values = try codec.latentValues(of: file.stream, shape: latent.shape, path: "test")
            XCTAssertEqual(values.data, latent.data.map { $0.rounded(.toNearestOrEven) }, "\(w)x\(h)")
            let coded = try codec.codedSymbols(of: latent)
            let zCount = Tensor.elementCount([1, Hyperprior.hyperSize(latent.shape[1]), Hyperprior.hyperSize(latent.shape[2]), 8])
            XCTAssertEqual(coded.symbols.count, zCount + latent.count)
            XCTAssertEqual(Array(coded.tables.prefix(zCount)), (0 ..< zCount).map { $0 % 8 })
            XCTAssertTrue(coded.tables.dropFirst(zCount).allSatisfy { (8 ..< 72).contains($0) })
            XCTAssertEqual(Array(coded.symbols.dropFirst(zCount)), try codec.symbols(of: latent))
        }
    }

    func testSameBytesAndPixelsAtAnyThreadCount() throws {
        try EntropyCodecTesting.assertSameBytesAtAnyThreadCount(try Self.untrainedBundle(seed: 3), sizes: [(70, 50), (33, 130)])
    }

    /// Every damaged or truncated stream is refused with a CodecError or decodes to some
    /// image of the right size: never a crash.
    func testDamagedStreamsAreRefusedOrDecode() throws {
        let codec = try EntropyCodec(bundle: try Self.untrainedBundle())
        let image = EntropyCodecTesting.image(width: 40, height: 24, channels: 3)
        let file = try codec.encode(image)
        var refused = 0
        func attempt(_ stream: [UInt8]) {
            let damaged = CodedLatentFile(modelFingerprint: file.modelFingerprint, width: 40, height: 24, colorType: .rgb,
                                          bitDepth: 8, stream: stream, alpha: nil)
            do {
                let png = try codec.decode(damaged)
                XCTAssertEqual([png.width, png.height], [40, 24])
            } catch is CodecError {
                refused += 1
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
        for i in 0 ..< file.stream.count {
            for bit in [0, 3, 7] {
                var s = file.stream
                s[i] ^= UInt8(1 << bit)
                attempt(s)
            }
        }
        for n in [4, file.stream.count / 2, file.stream.count - 1] where n < file.stream.count && n >= 4 {
            attempt(Array(file.stream.prefix(n)))
        }
        attempt(file.stream + [0, 0, 0])
        XCTAssertGreaterThan(refused, 0)
    }

    /// aeenc --effort: the hyperprior's latent refined on the image's own cost (both
    /// latents' bits) keeps the best step, lowers the cost and still decodes.
    func testRefinementLowersTheCostAndDecodes() throws {
        let codec = try EntropyCodec(bundle: try ModelBundle.read(path: Self.tinyBundlePath))
        let image = EntropyCodecTesting.image(width: 50, height: 40, channels: 3)
        let plain = try codec.latent(of: image)
        try codec.refineLatents(steps: 6)
        let refined = try codec.latent(of: image)
        let report = try XCTUnwrap(codec.lastRefinement)
        XCTAssertEqual(report.costs.count, 7)
        XCTAssertEqual(report.costs[report.bestStep], report.costs.min())
        XCTAssertLessThan(report.costs[report.bestStep], report.costs[0], "\(report.costs)")
        XCTAssertNotEqual(try codec.symbols(of: refined), try codec.symbols(of: plain))
        let file = try codec.encode(image)
        let decoded = try codec.decode(try CodedLatentFile.decode(try file.encoded()))
        XCTAssertEqual([decoded.width, decoded.height], [50, 40])
        let values = try codec.latentValues(of: file.stream, shape: refined.shape, path: "test")
        XCTAssertEqual(values.data, refined.data.map { $0.rounded(.toNearestOrEven) })
    }

    // MARK: Golden files

    /// Fixtures/coded/golden-hyper.ael (golden-source.png coded by hyper-tiny.aemodel, bundle
    /// format 1.8) decodes to golden-hyper.png byte for byte, and encoding the source again
    /// gives the same file.
    func testGoldenFileDecodesToTheGoldenPNG() throws {
        XCTAssertEqual(try BundleContainer.read(path: Self.tinyBundlePath).header.version, "1.8")
        let bundle = try ModelBundle.read(path: Self.tinyBundlePath)
        XCTAssertEqual(bundle.fingerprint, "7f7770c1a54a0a28f05255b36dd758c9")
        let codec = try EntropyCodec(bundle: bundle)
        let folder = EntropyCodecTesting.fixtures
        let golden = try LatentFile.readBytes(path: folder + "/golden-hyper.ael")
        let file = try CodedLatentFile.decode(golden)
        XCTAssertEqual(try codec.decode(file).encoded(),
                       Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/golden-hyper.png"))))
        let source = try CodecImage.decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: EntropyCodecTesting.sourcePNGPath))),
                                              path: "golden-source.png")
        XCTAssertEqual(try codec.encode(source).encoded(), golden)
    }

    /// aeinfo --latents decodes streams without a network, which a hyperprior file's
    /// tables need: it says so instead of decoding garbage.
    func testNetworkFreeLatentReaderRefusesHyperpriorFiles() throws {
        let bundle = try ModelBundle.read(path: Self.tinyBundlePath)
        let bytes = try LatentFile.readBytes(path: EntropyCodecTesting.fixtures + "/golden-hyper.ael")
        XCTAssertThrowsError(try LatentValues(bytes: bytes, path: "golden-hyper.ael") { _ in bundle }) {
            XCTAssertTrue("\($0)".contains("reads factorized-prior files only"), "\($0)")
        }
    }

    /// Scripts/hyperprior_decode.py, written from the specs alone (its own float32 fixed-order
    /// hyper-synthesis in numpy, the table choice, range_decode.py's decoder), decodes the
    /// golden file and a fresh larger one (z 3x2, so the scales vary over positions) to the
    /// symbols the Swift encoder coded. Skipped without python3 and numpy.
    func testThePythonDecoderWrittenFromTheSpecsAgrees() throws {
        let python = try ToolProcess.python3()
        guard try ToolProcess.run(executable: python, ["-c", "import numpy"]).status == 0 else { throw XCTSkip("no numpy") }
        let script = TestFixtures.repositoryRoot + "/Scripts/hyperprior_decode.py"
        let codec = try EntropyCodec(bundle: try ModelBundle.read(path: Self.tinyBundlePath))
        let folder = try BundleTesting.temporaryFolder(self)
        let source = try CodecImage.decodePNG(Array(try Data(contentsOf: URL(fileURLWithPath: EntropyCodecTesting.sourcePNGPath))),
                                              path: "golden-source.png")
        let fresh = folder.appendingPathComponent("fresh.ael").path
        let freshImage = EntropyCodecTesting.image(width: 150, height: 110, channels: 3)
        try Data(try codec.encode(freshImage).encoded()).write(to: URL(fileURLWithPath: fresh))
        for (path, image) in [(EntropyCodecTesting.fixtures + "/golden-hyper.ael", source), (fresh, freshImage)] {
            let run = try ToolProcess.run(executable: python, [script, Self.tinyBundlePath, path])
            XCTAssertEqual(run.status, 0, run.stderr)
            struct Symbols: Decodable { let z: [Int32]; let y: [Int32] }
            let decoded = try JSONDecoder().decode(Symbols.self, from: Data(run.stdoutText.utf8))
            let coded = try codec.codedSymbols(of: try codec.latent(of: image))
            XCTAssertEqual(decoded.z + decoded.y, coded.symbols, path)
            XCTAssertEqual(decoded.y.count, Tensor.elementCount(codec.latentShape(width: image.image.width, height: image.image.height)))
        }
    }

    /// AE_REGENERATE_CODED_GOLDEN=1 swift test --filter HyperpriorCodecTests/testRegenerateGoldenFiles
    func testRegenerateGoldenFiles() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_CODED_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_CODED_GOLDEN=1 to rewrite Fixtures/coded/golden-hyper.*")
        }
        let codec = try EntropyCodec(bundle: try ModelBundle.read(path: Self.tinyBundlePath))
        let png = Array(try Data(contentsOf: URL(fileURLWithPath: EntropyCodecTesting.sourcePNGPath)))
        let file = try codec.encode(try CodecImage.decodePNG(png, path: "golden-source.png"))
        let folder = EntropyCodecTesting.fixtures
        try Data(try file.encoded()).write(to: URL(fileURLWithPath: folder + "/golden-hyper.ael"))
        try Data(try codec.decode(file).encoded()).write(to: URL(fileURLWithPath: folder + "/golden-hyper.png"))
    }

    /// The coded stream costs at most a little more than the hyperprior's ideal rate (the
    /// scale table rounds each scale up). (It can cost less: the barely trained tiny model
    /// leaves values far outside their scale, whose bounded likelihood (1e-9, 30 bits) the
    /// range coder's escape beats.)
    func testStreamSizeIsCloseToTheIdealBits() throws {
        let bundle = try ModelBundle.read(path: Self.tinyBundlePath)
        let codec = try EntropyCodec(bundle: bundle)
        let hyper = try XCTUnwrap(try bundle.makeModel().hyperprior)
        for (w, h) in [(128, 96), (64, 64)] {
            let image = EntropyCodecTesting.image(width: w, height: h, channels: 3)
            let ideal = hyper.forward(quantizing: try codec.latent(of: image)).bits / 8
            let bytes = Double(try codec.encode(image).stream.count)
            XCTAssertLessThanOrEqual(bytes, ideal * 1.05 + 8, "\(w)x\(h): \(bytes) bytes, ideal \(ideal)")
            XCTAssertGreaterThan(bytes, ideal * 0.5, "\(w)x\(h): \(bytes) bytes, ideal \(ideal)")
        }
    }
}
