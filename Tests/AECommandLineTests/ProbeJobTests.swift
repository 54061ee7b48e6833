import AEProcess
import AECommandLine
import AEData
import AEFormats
import AENet
import AETestSupport
import Foundation
import XCTest

/// `aetrain probe` (`ProbeJob`): labelled data in, test accuracies out; data without
/// labels refused in one line.
final class ProbeJobTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    /// A .npy file (format 1.0) of `descr` and `shape` holding `payload`.
    private func npy(_ name: String, descr: String, shape: [Int], payload: [UInt8]) throws -> String {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        header += String(repeating: " ", count: 127 - 10 - header.utf8.count) + "\n"
        let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + payload
        let path = folder + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `count` dark noisy images with a bright band whose row names their class.
    private func bands(_ name: String, count: Int, seed: UInt64) throws -> String {
        var rng = RandomGenerator(seed: seed)
        var pixels: [UInt8] = [], labels: [UInt8] = []
        for _ in 0 ..< count {
            let c = rng.nextInt(below: 10)
            labels.append(UInt8(c))
            for y in 0 ..< 32 {
                for _ in 0 ..< 96 { pixels.append(UInt8((y / 3 == c ? 180 : 40) + rng.nextInt(below: 60))) }
            }
        }
        let images = try npy(name + "_images.npy", descr: "|u1", shape: [count, 32, 32, 3], payload: pixels)
        let labelFile = try npy(name + "_labels.npy", descr: "|u1", shape: [count], payload: labels)
        return "npy:\(images),labels=\(labelFile)"
    }

    func testAccuraciesOnASeparableSetAndTheirTable() throws {
        var s = ProbeJob.Settings()
        s.train = try bands("train", count: 200, seed: 1)
        s.test = try bands("test", count: 100, seed: 2)
        s.models = ["svhn-16"]
        s.threads = 2
        s.options.regression.epochs = 40
        let result = try ProbeJob(settings: s).run(output: TerminalOutput(mode: .quiet))
        XCTAssertEqual(result.figures.map(\.name), ["svhn-16 latents", "raw pixels"])
        XCTAssertEqual(result.figures.map(\.dimensions), [16, 3072])
        XCTAssertEqual(result.trainCount, 200)
        XCTAssertEqual(result.testCount, 100)
        let raw = result.figures[1]
        XCTAssertGreaterThanOrEqual(raw.softmaxAccuracy, 0.95)
        XCTAssertGreaterThanOrEqual(raw.neighbourAccuracy, 0.95)
        // The built-in model keeps brightness: its latents tell the levels apart too.
        XCTAssertGreaterThanOrEqual(result.figures[0].neighbourAccuracy, 0.9)
        XCTAssertLessThan(result.majorityAccuracy, 0.3)
        let table = ProbeJob.table(result)
        XCTAssertTrue(table.contains("raw pixels"))
        XCTAssertTrue(table.contains(String(format: "%.4f", raw.softmaxAccuracy)))
    }

    func testDataWithoutLabelsIsRefused() throws {
        var s = ProbeJob.Settings()
        s.train = "synthetic:20"
        s.test = try bands("test", count: 10, seed: 2)
        ExperimentTesting.assertRefused(containing: "synthetic:20: has no labels") {
            _ = try ProbeJob(settings: s).run(output: TerminalOutput(mode: .quiet))
        }
        s.train = s.test
        s.test = TestFixtures.path("data/images.npy")
        ExperimentTesting.assertRefused(containing: "images.npy: has no labels") {
            _ = try ProbeJob(settings: s).run(output: TerminalOutput(mode: .quiet))
        }
    }
}
