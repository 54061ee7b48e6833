import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

final class ModelBundleRefusalTests: XCTestCase {
    static let model = ReferenceModel.build(latentDim: 4, seed: 1)
    static let bytes: [UInt8] = try! ModelBundle(model: model).encoded()

    var bytes: [UInt8] { Self.bytes }
    var metadataOffset: Int { Int(TestBytes.u64(bytes, 24)) }
    var tableOffset: Int { Int(TestBytes.u64(bytes, 40)) }
    var dataOffset: Int { Int(TestBytes.u64(bytes, 56)) }

    /// Writes `bytes` to a file and returns the error reading it gives.
    func readError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> BundleError? {
        let path = try BundleTesting.temporaryFolder(self).appendingPathComponent("x.aemodel").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = BundleTesting.bundleError({ _ = try ModelBundle.read(path: path) }, file: file, line: line)
        XCTAssertEqual(error?.path, path, file: file, line: line)
        return error
    }

    func testBadMagicIsNotABundle() throws {
        for prefix in [Array("\u{89}PNG\r\n\u{1a}\n".utf8), Array("hello world, this is text".utf8), [0x00]] {
            let e = try readError(prefix + Array(bytes.dropFirst(prefix.count)))
            guard case .notABundle = e else { XCTFail("\(String(describing: e))"); continue }
            XCTAssertTrue(e!.description.contains("bad magic"), e!.description)
        }
        // Line endings converted by a text-mode transfer: the signature is recognisably damaged.
        var mangled = bytes
        mangled.remove(at: 4)  // "\r\n" -> "\n"
        let e = try readError(mangled)
        XCTAssertTrue(e?.reason.contains("damaged signature") == true, "\(String(describing: e))")
    }

    func testTruncatedFilesAreRefusedWithExpectedAndFoundSizes() throws {
        let total = bytes.count
        for cut in [0, 5, 10, 40, 95, metadataOffset + 20, tableOffset + 3, dataOffset + 1000, total - 1] {
            let e = try readError(Array(bytes[0..<cut]))
            guard case let .truncated(_, expected, found)? = e else { XCTFail("cut at \(cut): \(String(describing: e))"); continue }
            XCTAssertEqual(found, cut)
            XCTAssertEqual(expected, cut >= 24 ? total : 96, "cut at \(cut)")
            XCTAssertTrue(e!.description.contains("truncated: expected \(expected) bytes, found \(cut)"), e!.description)
        }
        // Bytes after the end are refused too.
        let e = try readError(bytes + [0])
        guard case .malformedHeader = e else { return XCTFail("\(String(describing: e))") }
    }

    func testFlippedBytesAreCaughtByTheChecksumOfTheirSection() throws {
        let cases = [(20, "header"), (91, "header"), (metadataOffset + 30, "metadata"),
                     (tableOffset + 10, "tensor table"), (dataOffset + 5, "tensor data"), (bytes.count - 1, "tensor data")]
        for (at, section) in cases {
            var b = bytes
            b[at] ^= 0x10
            let e = try readError(b)
            guard case let .checksumMismatch(_, name, _, _)? = e else { XCTFail("byte \(at): \(String(describing: e))"); continue }
            XCTAssertEqual(name, section, "byte \(at)")
            XCTAssertTrue(e!.description.contains("checksum mismatch in \(section)"), e!.description)
        }
    }

    func testUnknownMajorVersionIsRefused() throws {
        var b = bytes
        TestBytes.put(UInt16(2), &b, at: 8)
        TestBytes.put(UInt16(7), &b, at: 10)
        TestBytes.refreshBundleChecksums(&b)
        let e = try readError(b)
        guard case .unsupportedVersion(_, 2, 7, 1)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(e!.description.contains("unsupported bundle format version 2.7"), e!.description)
        // Even without fixing the checksum, the version is what is reported.
        var raw = bytes
        TestBytes.put(UInt16(3), &raw, at: 8)
        guard case .unsupportedVersion(_, 3, 0, 1)? = try readError(raw) else { return XCTFail() }
    }

    /// A version 1.9 bundle of `model` (a minor version no reader knows yet): an 8-byte
    /// longer header and metadata keys a 1.0 reader does not know, at the top level and nested.
    static func futureBundle(_ model: Autoencoder) throws -> [UInt8] {
        var json = try JSONSerialization.jsonObject(with: Data(ModelBundle(model: model).metadata.jsonBytes())) as! [String: Any]
        json["futureSection"] = ["anything": [1, 2, 3]]
        var architecture = json["architecture"] as! [String: Any]
        architecture["futureField"] = "ignored"
        json["architecture"] = architecture
        let metadata = [UInt8](try JSONSerialization.data(withJSONObject: json))
        let tensors = ModelBundle(model: model).tensors.map {
            BundleContainer.Payload(name: $0.name, elementType: .f32, shape: $0.shape, bytes: $0.bytes)
        }
        return BundleContainer.assemble(metadataJSON: metadata, tensors: tensors, minorVersion: 9,
                                        extraHeaderFields: [1, 2, 3, 4, 5, 6, 7, 8])
    }

    func testNewerMinorVersionWithUnknownFieldsIsAccepted() throws {
        let model = Self.model
        let bytes = try Self.futureBundle(model)
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("future.aemodel").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        let bundle = try ModelBundle.read(path: path)
        XCTAssertEqual(bundle.fingerprint, ModelBundle(model: model).fingerprint)
        let input = BundleTesting.patternImages(1)
        XCTAssertEqual(try bundle.makeModel().forward(input), model.forward(input))
        let container = try BundleContainer.read(path: path)
        XCTAssertEqual(container.header.minorVersion, 9)
        XCTAssertEqual(container.header.headerLength, 104)
    }

    func testWrongArchitectureNamesTheLayer() throws {
        // A tensor of the wrong shape.
        var bundle = ModelBundle(model: Self.model)
        let i = bundle.tensors.firstIndex { $0.name == "conv2d_1/kernel" }!
        bundle.tensors[i] = BundleTensor(name: "conv2d_1/kernel", shape: [3, 3, 32, 63],
                                         values: [Float](repeating: 0.1, count: 9 * 32 * 63))
        let read = try ModelBundle.decode(bundle.encoded(), path: "wrong.aemodel")
        let e = BundleTesting.bundleError { _ = try read.makeModel() }
        guard case .architectureMismatch(_, "conv2d_1", _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(e!.description.contains("[3, 3, 32, 63]"), e!.description)

        // A missing tensor.
        var missing = ModelBundle(model: Self.model)
        missing.tensors.removeAll { $0.name == "dense_1/bias" }
        let e2 = BundleTesting.bundleError { _ = try ModelBundle.decode(missing.encoded()).makeModel() }
        guard case .architectureMismatch(_, "dense_1", _)? = e2 else { return XCTFail("\(String(describing: e2))") }

        // An extra tensor under a layer's name is another architecture; one in another
        // namespace (reserved for later minor versions) is ignored.
        var extra = ModelBundle(model: Self.model)
        extra.tensors.append(BundleTensor(name: "dense/scale", shape: [1], values: [1]))
        let e4 = BundleTesting.bundleError { _ = try ModelBundle.decode(extra.encoded()).makeModel() }
        guard case .architectureMismatch(_, "dense", _)? = e4 else { return XCTFail("\(String(describing: e4))") }
        var auxiliary = ModelBundle(model: Self.model)
        auxiliary.tensors.append(BundleTensor(name: "entropy/table", shape: [2], values: [1, 2]))
        XCTAssertNoThrow(try ModelBundle.decode(auxiliary.encoded()).makeModel())

        // A layer list that differs from what this build makes (another activation).
        var layers = ModelBundle(model: Self.model)
        let j = layers.metadata.architecture.layers.firstIndex { $0.name == "conv2d_transpose_1" }!
        layers.metadata.architecture.layers[j].activation = "sigmoid"
        let e3 = BundleTesting.bundleError { _ = try ModelBundle.decode(layers.encoded()).makeModel() }
        guard case .architectureMismatch(_, "conv2d_transpose_1", _)? = e3 else { return XCTFail("\(String(describing: e3))") }

        // An unknown family and a latent size the weights cannot back.
        var family = ModelBundle(model: Self.model)
        family.metadata.architecture.family = "resnet"
        XCTAssertNotNil(BundleTesting.bundleError { _ = try family.makeModel() })
        var huge = ModelBundle(model: Self.model)
        huge.metadata.architecture.latentDim = 1 << 40
        guard case .architectureMismatch(_, "(latent)", _)? = BundleTesting.bundleError({ _ = try huge.makeModel() }) else {
            return XCTFail()
        }
    }

    /// Issue 17.5: normalisation numbers that are not usable float32 values are refused on
    /// reading (checksums valid), naming the file, instead of tripping a precondition later.
    func testNormalizationOutsideFloat32IsRefused() throws {
        for (scale, offset) in [(1e308, 0.0), (1e39, 0.0), (1e-50, 0.0), (0.0, 0.0), (-255.0, 0.0), (255.0, 1e39)] {
            var bundle = ModelBundle(model: Self.model)
            bundle.metadata.normalization.scale = scale
            bundle.metadata.normalization.offset = offset
            let e = try readError(try bundle.encoded())
            guard case .invalidMetadata(_, let reason)? = e else { XCTFail("\(scale) \(offset): \(String(describing: e))"); continue }
            XCTAssertTrue(reason.contains(offset == 0 ? "normalization.scale" : "normalization.offset"), reason)
        }
        var fine = ModelBundle(model: Self.model)
        fine.metadata.normalization.scale = 1
        fine.metadata.normalization.offset = -3
        XCTAssertEqual(try ModelBundle.decode(try fine.encoded(), path: "fine.aemodel").metadata.normalization.offset, -3)
    }

    func testInconsistentTableAndOversizedSectionsAreRefused() throws {
        // A tensor length that disagrees with its shape.
        var b = bytes
        let firstEntryLengthAt = tableOffset + 16
        TestBytes.put(TestBytes.u64(b, firstEntryLengthAt) + 4, &b, at: firstEntryLengthAt)
        TestBytes.refreshBundleChecksums(&b)
        guard case .tensorTableInconsistent? = try readError(b) else { return XCTFail() }

        // An unknown element type.
        var t = bytes
        t[tableOffset + 6] = 9
        TestBytes.refreshBundleChecksums(&t)
        let e = try readError(t)
        guard case .tensorTableInconsistent? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(e!.reason.contains("element type code 9"), e!.reason)

        // A metadata length over the documented maximum is refused before anything is allocated.
        var m = bytes
        TestBytes.put(UInt64(1) << 40, &m, at: 32)
        TestBytes.refreshBundleChecksums(&m)
        guard case .limitExceeded(_, "metadata length", _, _)? = try readError(m) else { return XCTFail() }

        // A section that points outside the file.
        var o = bytes
        TestBytes.put(UInt64(bytes.count), &o, at: 56)
        TestBytes.refreshBundleChecksums(&o)
        guard case .malformedHeader? = try readError(o) else { return XCTFail() }

        // Metadata that is not JSON.
        var j = bytes
        j[metadataOffset] = UInt8(ascii: "x")
        TestBytes.refreshBundleChecksums(&j)
        guard case .invalidMetadata? = try readError(j) else { return XCTFail() }
    }

    func testMissingFilesAndFolders() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        guard case .cannotRead(_, "no such file")? = BundleTesting.bundleError({
            _ = try ModelBundle.read(path: folder.appendingPathComponent("absent.aemodel").path)
        }) else { return XCTFail() }
        guard case .cannotRead(_, "is a directory")? = BundleTesting.bundleError({
            _ = try ModelBundle.read(path: folder.path)
        }) else { return XCTFail() }
    }

    func testExistingOutputIsKeptWithoutForceAndNoTemporaryFileIsLeft() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let path = folder.appendingPathComponent("m.aemodel").path
        let first = ModelBundle(model: Self.model)
        try first.write(to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))

        let other = ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 2))
        guard case .alreadyExists(path)? = BundleTesting.bundleError({ try other.write(to: path) }) else { return XCTFail() }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["m.aemodel"])

        try other.write(to: path, force: true)
        XCTAssertEqual(try ModelBundle.read(path: path).fingerprint, other.fingerprint)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["m.aemodel"])

        // A failure after the temporary file was written (the destination is a folder) removes it.
        let blocked = folder.appendingPathComponent("blocked.aemodel")
        try FileManager.default.createDirectory(at: blocked, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(at: blocked.appendingPathComponent("inside"), withIntermediateDirectories: false)
        guard case .cannotWrite? = BundleTesting.bundleError({ try other.write(to: blocked.path, force: true) }) else { return XCTFail() }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["blocked.aemodel", "m.aemodel"])

        // A folder that does not exist.
        guard case .cannotWrite? = BundleTesting.bundleError({
            try other.write(to: folder.appendingPathComponent("no/such/folder.aemodel").path)
        }) else { return XCTFail() }
        // Refused requests write nothing either.
        var huge = ModelBundle(model: Self.model)
        huge.tensors[0].values[0] = 1e6
        guard case .invalidRequest? = BundleTesting.bundleError({
            try huge.write(to: folder.appendingPathComponent("h.aemodel").path, weights: .f16)
        }) else { return XCTFail() }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["blocked.aemodel", "m.aemodel"])
    }
}
