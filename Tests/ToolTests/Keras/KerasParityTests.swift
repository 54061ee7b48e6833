import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Our network computes what Keras computes. Fixtures/keras holds the reference model
/// built in Keras 3 with seeded weights, Keras's latents and reconstructions of 8 fixed
/// images, and the bundle Scripts/keras2aemodel.py converted from the Keras file
/// (all written by Scripts/make_keras_fixtures.py). Nothing is converted here: the
/// committed bundle is loaded like any other and run on the same inputs.
///
/// Tolerance: 1e-5 absolute, for latents (up to about 2 here) and for reconstructed
/// pixels in [0, 1]. Both sides compute in float32 but sum in different orders (Keras
/// through oneDNN, we through im2col and BLAS), so they differ by rounding only: measured
/// 4.2e-7 on the latents and 2.4e-7 on the reconstructions (Keras 3.15.1, TensorFlow 2.21).
final class KerasParityTests: XCTestCase {
    static let latentTolerance: Float = 1e-5
    static let pixelTolerance: Float = 1e-5

    func model() throws -> (ModelBundle, Autoencoder) {
        let bundle = try ModelBundle.read(path: KerasFixtures.path("reference-16.aemodel"))
        return (bundle, try bundle.makeModel())
    }

    /// The 8 input images as the network sees them: pixels / 255 in float32, as Keras was fed.
    func inputs() throws -> Tensor {
        let (shape, pixels) = try KerasFixtures.npy("inputs.npy")
        XCTAssertEqual(shape, [8, 32, 32, 3])
        return Tensor(shape: shape, data: pixels.map { $0 / 255 })
    }

    func keras(_ name: String) throws -> Tensor {
        let (shape, values) = try KerasFixtures.npy(name)
        return Tensor(shape: shape, data: values)
    }

    func testConvertedBundleIsTheReferenceModelAndNamesItsSource() throws {
        let (bundle, model) = try model()
        XCTAssertEqual(model.latentDim, 16)
        XCTAssertEqual(model.parameterCount, 401_555)
        XCTAssertEqual(bundle.fingerprint, try KerasFixtures.summary()["fingerprint"] as? String)
        XCTAssertNil(bundle.quantization)

        // Format 1.3: the `source` key records the Keras file.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path("reference-16.aemodel"))))
        XCTAssertEqual([bytes[8], bytes[9], bytes[10], bytes[11]], [1, 0, 3, 0], "version 1.3")
        let offset = Int(TestBytes.u64(bytes, 24)), length = Int(TestBytes.u64(bytes, 32))
        let metadata = try JSONSerialization.jsonObject(with: Data(bytes[offset..<(offset + length)])) as? [String: Any]
        let source = try XCTUnwrap(metadata?["source"] as? [String: Any])
        XCTAssertEqual(source["file"] as? String, "reference-16.keras")
        XCTAssertEqual(source["format"] as? String, "keras-v3")
        let keras = [UInt8](try Data(contentsOf: URL(fileURLWithPath: KerasFixtures.path("reference-16.keras"))))
        XCTAssertEqual(source["sha256"] as? String, SHA256.hex(SHA256.hash(keras)))
        XCTAssertEqual((metadata?["tool"] as? [String: Any])?["name"] as? String, "keras2aemodel")

        // The reader knows the key: aeinfo shows it, and a rewrite (here with a
        // quantisation table, as aetrain --quantize-from does) keeps it and stays 1.3.
        XCTAssertEqual(bundle.metadata.source?.file, "reference-16.keras")
        XCTAssertEqual(bundle.metadata.source?.sha256, source["sha256"] as? String)
        XCTAssertTrue(try BundleInfo(path: KerasFixtures.path("reference-16.aemodel")).text()
            .contains("converted from: reference-16.keras (keras-v3"))
        let table = LatentQuantization(scale: Array(repeating: 0.1, count: 16), offset: Array(repeating: -1, count: 16))
        let rewritten = try bundle.withQuantization(table).encoded()
        XCTAssertEqual([rewritten[8], rewritten[9], rewritten[10], rewritten[11]], [1, 0, 3, 0])
        XCTAssertEqual(try ModelBundle.decode(rewritten).metadata.source, bundle.metadata.source)
    }

    func testEncoderMatchesKerasLatents() throws {
        let (_, model) = try model()
        let ours = model.encode(try inputs())
        let theirs = try keras("latents.npy")
        XCTAssertEqual(ours.shape, [8, 16])
        XCTAssertEqual(theirs.shape, [8, 16])
        let difference = TestMath.maxDifference(ours.data, theirs.data)
        print("KerasParity: largest latent difference \(difference), latents up to \(theirs.data.map(abs).max() ?? 0)")
        XCTAssertLessThanOrEqual(difference, Self.latentTolerance)
        // The comparison means something: the latents are not all alike.
        XCTAssertGreaterThan(Set(theirs.data).count, 100)
    }

    func testDecoderOnKerasLatentsMatchesKerasReconstructions() throws {
        let (_, model) = try model()
        let ours = model.decode(try keras("latents.npy"))
        let theirs = try keras("reconstructions.npy")
        XCTAssertEqual(ours.shape, [8, 32, 32, 3])
        let difference = TestMath.maxDifference(ours.data, theirs.data)
        print("KerasParity: largest reconstruction difference (decoder on Keras latents) \(difference)")
        XCTAssertLessThanOrEqual(difference, Self.pixelTolerance)
        // Not saturated: the sigmoid outputs spread over (0, 1).
        XCTAssertLessThan(theirs.data.min() ?? 0, 0.4)
        XCTAssertGreaterThan(theirs.data.max() ?? 1, 0.6)
    }

    func testWholeNetworkMatchesKeras() throws {
        let (_, model) = try model()
        let ours = model.forward(try inputs())
        let difference = TestMath.maxDifference(ours.data, try keras("reconstructions.npy").data)
        print("KerasParity: largest reconstruction difference (our encoder and decoder) \(difference)")
        XCTAssertLessThanOrEqual(difference, Self.pixelTolerance)
    }

    /// A wrong kernel layout would keep every shape of the square 3x3x128x128 kernel but
    /// change the outputs: transposing it (HWOI read as HWIO) is caught by the tolerance.
    func testTransposedConvTransposeKernelIsDetected() throws {
        let (bundle, _) = try model()
        var swapped = bundle
        let i = try XCTUnwrap(swapped.tensors.firstIndex { $0.name == "conv2d_transpose/kernel" })
        let k = swapped.tensors[i].values
        var t = k
        for a in 0..<9 { for o in 0..<128 { for c in 0..<128 { t[(a * 128 + c) * 128 + o] = k[(a * 128 + o) * 128 + c] } } }
        swapped.tensors[i] = BundleTensor(name: "conv2d_transpose/kernel", shape: [3, 3, 128, 128], values: t)
        let ours = try swapped.makeModel().decode(try keras("latents.npy"))
        XCTAssertGreaterThan(TestMath.maxDifference(ours.data, try keras("reconstructions.npy").data), 100 * Self.pixelTolerance)
    }
}
