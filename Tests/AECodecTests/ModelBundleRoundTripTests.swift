import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

final class ModelBundleRoundTripTests: XCTestCase {
    func testMetadataWithoutAFamilyIsOfTheReferenceFamily() throws {
        // Bundles from before the family registry read as the reference model.
        let metadata = BundleMetadata(describing: ReferenceModel.build(latentDim: 4, seed: 0), tool: .init(name: "tests"))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(metadata.jsonBytes())) as? [String: Any])
        var architecture = try XCTUnwrap(json["architecture"] as? [String: Any])
        XCTAssertEqual(architecture.removeValue(forKey: "family") as? String, "reference-svhn")
        json["architecture"] = architecture
        let decoded = try BundleMetadata.decode([UInt8](try JSONSerialization.data(withJSONObject: json)), path: "old")
        XCTAssertEqual(decoded.architecture, metadata.architecture)
        XCTAssertEqual(ModelFamily.named(decoded.architecture.family)?.name, "reference-svhn")
        XCTAssertNil(ModelFamily.named("resnet"))
    }

    func testFloat32BundleRebuildsAnIdenticalModel() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("m.aemodel").path
        let model = ReferenceModel.build(latentDim: 8, seed: 1)
        var metadata = BundleMetadata(describing: model, tool: .init(name: "tests"))
        metadata.training = .init(options: TrainingOptions(), dataSource: .init(kind: "synthetic", description: "none", sampleCount: 0))
        let written = try ModelBundle(model: model, metadata: metadata).write(to: path)

        let bundle = try ModelBundle.read(path: path)
        XCTAssertEqual(bundle.fingerprint, written)
        XCTAssertEqual(bundle.fingerprint.count, 32)
        XCTAssertEqual(bundle.weightType, .f32)
        XCTAssertEqual(bundle.metadata, ModelBundle(model: model, metadata: metadata).metadata)
        XCTAssertEqual(bundle.metadata.architecture.latentDim, 8)
        XCTAssertEqual(bundle.metadata.architecture.layers.count, model.layers.count)
        XCTAssertEqual(bundle.tensors.map(\.name), model.parameters.map(\.name))

        let rebuilt = try bundle.makeModel()
        let input = BundleTesting.patternImages(3)
        let expected = model.forward(input), got = rebuilt.forward(input)
        XCTAssertEqual(got.shape, expected.shape)
        XCTAssertEqual(got.data.map(\.bitPattern), expected.data.map(\.bitPattern), "f32 bundle must reproduce outputs bit for bit")
        for (p, q) in zip(model.parameters, rebuilt.parameters) {
            XCTAssertEqual(p.value.data.map(\.bitPattern), q.value.data.map(\.bitPattern), p.name)
        }
        // The file is laid out as the spec says: 64-aligned data, exact length.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes[0..<8]), BundleHeader.magic)
        XCTAssertEqual(TestBytes.u64(bytes, 56) % 64, 0)
        XCTAssertEqual(Int(TestBytes.u64(bytes, 16)), bytes.count)
    }

    func testFloat16BundleIsAboutHalfTheSizeAndDecodesClosely() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let model = ReferenceModel.build(latentDim: 8, seed: 1)
        let bundle = ModelBundle(model: model)
        let p32 = folder.appendingPathComponent("m32.aemodel").path
        let p16 = folder.appendingPathComponent("m16.aemodel").path
        let f32 = try bundle.write(to: p32, weights: .f32)
        let f16 = try bundle.write(to: p16, weights: .f16)
        XCTAssertNotEqual(f32, f16, "the fingerprint covers the weights as stored")
        XCTAssertEqual(f16, bundle.fingerprint(weights: .f16))

        let size32 = try FileManager.default.attributesOfItem(atPath: p32)[.size] as! Int
        let size16 = try FileManager.default.attributesOfItem(atPath: p16)[.size] as! Int
        let ratio = Double(size16) / Double(size32)
        XCTAssertGreaterThan(ratio, 0.49)
        XCTAssertLessThan(ratio, 0.52, "f16 bundle is \(size16) bytes, f32 \(size32)")

        let read = try ModelBundle.read(path: p16)
        XCTAssertEqual(read.weightType, .f16)
        XCTAssertEqual(read.fingerprint, f16)
        let rebuilt = try read.makeModel()
        let input = BundleTesting.patternImages(3)
        let difference = BundleTesting.maxDifference(model.forward(input), rebuilt.forward(input))
        // Weights rounded to 11 significant bits move this untrained model's sigmoid
        // outputs by about 2e-6; allow 1e-3 (a trained model's weights matter more).
        XCTAssertLessThan(difference, 1e-3)
        XCTAssertGreaterThan(difference, 0, "f16 rounding should change something")
        // Every stored weight is the float16 rounding of the original.
        for (p, t) in zip(model.parameters, read.tensors) {
            XCTAssertEqual(t.values, p.value.data.map { Float(Float16($0)) }, p.name)
        }
        // Rewriting the f16 bundle as f16 keeps the fingerprint (and the bytes of the data).
        let again = folder.appendingPathComponent("again.aemodel").path
        XCTAssertEqual(try read.write(to: again, weights: .f16), f16)
    }

    /// A coded model's entropy tables hold integers up to 65,536, beyond float16: with
    /// float16 weights they stay float32 (so the bundle can be written at all, and codes
    /// exactly the same symbols), while the network's weights are float16.
    func testFloat16CodedBundleKeepsItsEntropyTablesInFloat32() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let bundle = try ModelBundle.read(path: EntropyCodecTesting.convBundlePath)
        XCTAssertEqual(bundle.weightType, .f32)
        let path = folder.appendingPathComponent("half.aemodel").path
        let fingerprint = try bundle.write(to: path, weights: .f16)
        XCTAssertNotEqual(fingerprint, bundle.fingerprint)
        let half = try ModelBundle.read(path: path)
        XCTAssertEqual(half.weightType, .f16)
        XCTAssertEqual(half.fingerprint, fingerprint)
        var tables = 0
        for t in half.tensors where t.isWeight {
            if t.name.hasPrefix(BundleTensor.entropyTablePrefix) {
                tables += 1
                XCTAssertEqual(t.elementType, .f32, t.name)
                XCTAssertEqual(t.values, bundle[t.name]?.values, "\(t.name) exactly as it was")
            } else {
                XCTAssertEqual(t.elementType, .f16, t.name)
            }
        }
        XCTAssertEqual(tables, 4)
        XCTAssertEqual(try EntropyTables(bundle: half), try EntropyTables(bundle: bundle))
        // It codes: a round trip through the float16 model gives the image's size back.
        let codec = try EntropyCodec(bundle: half)
        let image = EntropyCodecTesting.image(width: 40, height: 24, channels: 3)
        let decoded = try codec.decode(CodedLatentFile.decode(try codec.encode(image).encoded()))
        XCTAssertEqual([decoded.width, decoded.height], [40, 24])
    }

    func testFingerprintDependsOnTheWeightsOnly() {
        let a = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 1))
        var b = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 1))
        b.metadata.createdAt = "2000-01-01T00:00:00Z"
        b.metadata.metrics = .init(epochs: [], testMSE: 0.5)
        XCTAssertEqual(a.fingerprint, b.fingerprint)
        // Table order does not matter: tensors are taken sorted by name.
        b.tensors.reverse()
        XCTAssertEqual(a.fingerprint, b.fingerprint)
        // One changed weight does.
        b.tensors[0].values[0] = b.tensors[0].values[0].nextUp
        XCTAssertNotEqual(a.fingerprint, b.fingerprint)
        XCTAssertNotEqual(a.fingerprint, ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 2)).fingerprint)
    }

    func testFingerprintFollowsTheSpecAlgorithm() {
        // An independent computation of Specs/model-bundle.md's fingerprint on a tiny bundle.
        let tensors = [BundleTensor(name: "b", shape: [2], values: [1, -2]),
                       BundleTensor(name: "a", shape: [1, 1], values: [0.5], elementType: .f16),
                       BundleTensor(name: "optimizer/m/a", shape: [1, 1], values: [9])]
        var stream: [UInt8] = []
        func le<T: FixedWidthInteger>(_ v: T) { for i in 0..<(T.bitWidth / 8) { stream.append(UInt8(truncatingIfNeeded: v >> (8 * i))) } }
        // "a": float16 0.5 = 0x3800.
        le(UInt32(1)); stream += Array("a".utf8); stream += [2, 2]; le(UInt64(1)); le(UInt64(1)); le(UInt64(2)); le(UInt16(0x3800))
        // "b": float32 1 = 0x3f800000, -2 = 0xc0000000.
        le(UInt32(1)); stream += Array("b".utf8); stream += [1, 1]; le(UInt64(2)); le(UInt64(8)); le(UInt32(0x3F80_0000)); le(UInt32(0xC000_0000))
        XCTAssertEqual(ModelFingerprint.hex(of: tensors), SHA256.hex(SHA256.hash(stream).prefix(16)))
    }

    func testEveryFloat16BitPatternSurvivesReadingAndWriting() {
        // The fingerprint covers the bytes as stored, so reading a float16 tensor and
        // writing it again must give back every bit, signalling NaNs included (the
        // hardware conversion would quiet them; found by comparing with the spec's
        // Python reader on a fuzzed bundle).
        var bytes: [UInt8] = []
        for bits in 0...UInt16.max { bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)] }
        let values = BundleElementType.f16.decode(bytes, offset: 0, count: 65_536)
        XCTAssertEqual(BundleElementType.f16.encode(values), bytes)
        // So a bundle with a signalling NaN weight keeps its fingerprint through a file.
        var tensor = BundleTensor(name: "w", shape: [2], values: BundleElementType.f16.decode([0x01, 0x7C, 0x00, 0x3C], offset: 0, count: 2), elementType: .f16)
        XCTAssertEqual(tensor.bytes, [0x01, 0x7C, 0x00, 0x3C])
        tensor = tensor.stored(as: .f16)
        XCTAssertEqual(tensor.bytes, [0x01, 0x7C, 0x00, 0x3C])
        // float32 NaNs narrow to NaNs (never to infinity), finite values round as before.
        XCTAssertEqual(BundleElementType.f16.encode([Float(bitPattern: 0x7F80_0001), 1.0 / 3]), [0x00, 0x7E, 0x55, 0x35])
    }

    func testMetadataRoundTripsExactlyIncludingNonFiniteNumbers() throws {
        let model = ReferenceModel.build(latentDim: 4, seed: 3)
        var m = BundleMetadata(describing: model, tool: .init(name: "tests"))
        var options = TrainingOptions()
        options.learningRate = 3e-4
        options.seed = UInt64.max - 1
        options.validationSplit = 0.15
        m.training = .init(options: options, dataSource: .init(kind: "npy", description: "x.npy", sampleCount: 7,
                                                                trainCount: 6, validationCount: 1, testCount: 2),
                           initSeed: 12_345_678_901_234_567_890, threads: 2, wallTimeSeconds: 1.0 / 3.0)
        m.metrics = .init(epochs: [], testMSE: .nan, testPSNR: .infinity)
        let bundle = ModelBundle(model: model, metadata: m)
        let read = try ModelBundle.decode(bundle.encoded())
        let t = try XCTUnwrap(read.metadata.training)
        XCTAssertEqual(t.optimizer.learningRate, 3e-4)
        XCTAssertEqual(t.seed, UInt64.max - 1)
        XCTAssertEqual(t.initSeed, 12_345_678_901_234_567_890)
        XCTAssertEqual(t.wallTimeSeconds, 1.0 / 3.0)
        XCTAssertEqual(t.validationSplit, 0.15)
        XCTAssertEqual(t.dataSource, m.training?.dataSource)
        XCTAssertTrue(read.metadata.metrics?.testMSE?.isNaN == true)
        XCTAssertEqual(read.metadata.metrics?.testPSNR, .infinity)
        XCTAssertEqual(t.options.learningRate, options.learningRate)
        XCTAssertEqual(t.options.seed, options.seed)
    }

    func testEncodingIsDeterministic() throws {
        var metadata = BundleMetadata(describing: ReferenceModel.build(latentDim: 4, seed: 1))
        metadata.createdAt = nil
        let bundle = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 1), metadata: metadata)
        XCTAssertEqual(try bundle.encoded(weights: .f16), try bundle.encoded(weights: .f16))
    }

    // MARK: Format 1.7: gradient clipping

    static let clippingMetadataURL = TestFixtures.url("bundles").appendingPathComponent("clipping-metadata-v1.7.json")

    /// Fixed metadata of a rate-distortion run that clipped its gradients (the 1.7 key).
    static func clippingMetadata() throws -> BundleMetadata {
        let model = ReferenceModel.build(latentDim: 2, seed: 1)
        var options = TrainingOptions()
        options.epochs = 1
        options.gradientClipNorm = 1
        var m = BundleMetadata(describing: model, tool: .init(name: "golden-generator", version: "0.1.0"))
        m.createdAt = "2026-01-01T00:00:00Z"
        m.training = .init(options: options, loss: RateDistortionLoss(lambda: 0.013))
        return m
    }

    /// Regenerates the golden metadata (AE_REGENERATE_GOLDEN=1 only; never to make a change pass).
    func testRegenerateClippingMetadata() throws {
        guard ProcessInfo.processInfo.environment["AE_REGENERATE_GOLDEN"] == "1" else {
            throw XCTSkip("set AE_REGENERATE_GOLDEN=1 to regenerate Fixtures/bundles/clipping-metadata-v1.7.json")
        }
        try Data(try Self.clippingMetadata().jsonBytes() + [10]).write(to: Self.clippingMetadataURL)
    }

    /// The committed 1.7 metadata reads with its key, today's writer gives the same bytes,
    /// a bundle with it is written as 1.7 and one without stays at its lower version.
    func testGradientClippingIsRecordedAsVersion17() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.clippingMetadataURL))
        let m = try BundleMetadata.decode(bytes, path: "golden")
        XCTAssertEqual(m.training?.gradientClipNorm, 1)
        XCTAssertEqual(m.training?.options.gradientClipNorm, 1)
        XCTAssertTrue(m.usesVersion17Keys)
        XCTAssertEqual(try Self.clippingMetadata().jsonBytes() + [10], bytes, "the writer's JSON changed")
        XCTAssertTrue(String(decoding: bytes, as: UTF8.self).contains("\"gradientClipNorm\" : 1"))

        let folder = try BundleTesting.temporaryFolder(self)
        let model = ReferenceModel.build(latentDim: 2, seed: 1)
        for (clip, version) in [(1.0 as Double?, "1.7"), (nil, "1.0")] {
            var metadata = try Self.clippingMetadata()
            metadata.training?.gradientClipNorm = clip
            let path = folder.appendingPathComponent("m\(version).aemodel").path
            _ = try ModelBundle(model: model, metadata: metadata).write(to: path)
            let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            XCTAssertEqual(try BundleContainer.parseHeader(written, fileSize: written.count, path: path).version, version)
            XCTAssertEqual(try ModelBundle.read(path: path).metadata.training?.gradientClipNorm, clip)
        }
    }
}
