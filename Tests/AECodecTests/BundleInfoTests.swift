import AECodec
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

final class BundleInfoTests: XCTestCase {
    func writeCheckpoint() throws -> String {
        let path = try BundleTesting.temporaryFolder(self).appendingPathComponent("c.aemodel").path
        let trainer = Trainer(model: ReferenceModel.build(latentDim: 4, seed: 1))
        var metadata = BundleMetadata(describing: trainer.model, tool: .init(name: "tests"))
        metadata.training = .init(options: trainer.options, dataSource: .init(kind: "npy", description: "images.npy", sampleCount: 50))
        try ModelBundle(checkpointOf: trainer, metadata: metadata).write(to: path)
        return path
    }

    func testTextShowsHeaderArchitectureProvenanceTensorsAndFingerprint() throws {
        let path = try writeCheckpoint()
        let info = try BundleInfo(path: path)
        let text = info.text()
        for expected in ["kind: model bundle, checkpoint", "format: version 1.0", "flags 0x00000001 (checkpoint)",
                         "fingerprint: \(info.bundle.fingerprint)", "architecture: reference-svhn, input [32, 32, 3], latent 4",
                         "conv2d_transpose_2", "Conv2DTranspose", "sigmoid", "data source: npy: images.npy (50 images)",
                         "optimizer: adam, learning rate 0.001", "checkpoint: optimizer step 0, 0 of 20 epochs completed",
                         "optimizer/m/conv2d/kernel", "float32", "tensors: 54"] {
            XCTAssertTrue(text.contains(expected), "missing \(expected) in:\n\(text)")
        }
    }

    func testJSONIsOneObjectWithTheStoredMetadata() throws {
        let path = try writeCheckpoint()
        let info = try BundleInfo(path: path)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.json().utf8)) as? [String: Any])
        XCTAssertEqual(object["fileKind"] as? String, "model-bundle")
        XCTAssertEqual(object["fingerprint"] as? String, info.bundle.fingerprint)
        let header = try XCTUnwrap(object["header"] as? [String: Any])
        XCTAssertEqual(header["majorVersion"] as? Int, 1)
        XCTAssertEqual(header["magic"] as? String, "8941454d0d0a1a0a")
        XCTAssertEqual(header["checkpoint"] as? Bool, true)
        let metadata = try XCTUnwrap(object["metadata"] as? [String: Any])
        XCTAssertEqual(metadata["kind"] as? String, "checkpoint")
        XCTAssertEqual((metadata["architecture"] as? [String: Any])?["latentDim"] as? Int, 4)
        XCTAssertEqual((object["tensors"] as? [Any])?.count, 54)
    }

    func testFileKindAndToolMessages() throws {
        let folder = try BundleTesting.temporaryFolder(self)
        let text = folder.appendingPathComponent("notes.txt").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        guard case let .unknown(signature) = try FileKind.detect(path: text) else { return XCTFail() }
        let error = FileKind.unrecognized(path: text, signature: signature)
        XCTAssertEqual(ToolReporter.message(tool: "aeinfo", error: error),
                       "aeinfo: \(text): unrecognised file (starts with 68 65 6c 6c 6f): not a model bundle (.aemodel) or latent file (.ael)")
        XCTAssertEqual(FileKind.detect(prefix: BundleHeader.magic), .modelBundle)
        XCTAssertEqual(FileKind.detect(prefix: LatentFile.magic), .latentFile)
        let missing = BundleError.truncated(path: "m.aemodel", expected: 100, found: 7)
        XCTAssertEqual(ToolReporter.message(tool: "aeinfo", error: missing),
                       "aeinfo: m.aemodel: truncated: expected 100 bytes, found 7")
    }

    func testUnknownKeysFromANewerMinorVersionAreListed() throws {
        let path = try BundleTesting.temporaryFolder(self).appendingPathComponent("future.aemodel").path
        try Data(ModelBundleRefusalTests.futureBundle(ReferenceModel.build(latentDim: 4, seed: 1)))
            .write(to: URL(fileURLWithPath: path))
        let info = try BundleInfo(path: path)
        XCTAssertEqual(info.unknownMetadataKeys, ["architecture.futureField", "futureSection"])
        XCTAssertTrue(info.text().contains("format: version 1.9"), info.text())
        XCTAssertTrue(info.text().contains("metadata keys this reader does not know: architecture.futureField, futureSection"))
        XCTAssertTrue(try info.json().contains("\"futureSection\""))
    }

    /// Runs the built `aeinfo` next to the test bundle, when it is there.
    func testAeinfoExecutable() throws {
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let r = try ToolProcess.run("aeinfo", arguments)
            return (r.status, r.stdoutText, r.stderr)
        }
        let golden = try BundleTesting.temporaryFolder(self).appendingPathComponent("m.aemodel").path
        try ModelBundle(model: ReferenceModel.build(latentDim: 4, seed: 1)).write(to: golden, weights: .f16)
        let ok = try run([golden])
        XCTAssertEqual(ok.status, 0)
        XCTAssertTrue(ok.out.contains("fingerprint: "))
        let json = try run([golden, "--json"])
        XCTAssertEqual(json.status, 0)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [[String: Any]])?.count, 1, "an array of one")
        let missing = try run(["/nonexistent/x.aemodel"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.err, "aeinfo: /nonexistent/x.aemodel: cannot read: no such file\n")
        XCTAssertEqual(missing.out, "")
    }
}
