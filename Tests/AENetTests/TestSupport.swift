import AENet
import AETestSupport
import Foundation
import XCTest

/// Path of the repository's `Fixtures/` folder, found from this source file.
let fixturesURL = URL(fileURLWithPath: TestFixtures.folder)

/// One case written by Scripts/reference_layers.py.
struct ReferenceCase {
    let config: [String: Any]
    let tensors: [String: Tensor]

    init(_ name: String) throws {
        let url = fixturesURL.appendingPathComponent("reference/\(name).json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        config = json["config"] as! [String: Any]
        layer = json["layer"] as! String
        var tensors: [String: Tensor] = [:]
        for (key, value) in json["tensors"] as! [String: Any] {
            let t = value as! [String: Any]
            let shape = (t["shape"] as! [NSNumber]).map(\.intValue)
            let data = (t["data"] as! [NSNumber]).map { Float($0.doubleValue) }
            tensors[key] = Tensor(shape: shape, data: data)
        }
        self.tensors = tensors
    }

    subscript(_ key: String) -> Tensor { tensors[key]! }
    let layer: String

    func int(_ key: String) -> Int { (config[key] as! NSNumber).intValue }
    /// A config string, or the case's layer name for "layer".
    func string(_ key: String) -> String { key == "layer" ? layer : config[key] as! String }
}

/// Largest absolute difference, failing when shapes differ.
func assertClose(_ a: Tensor, _ b: Tensor, tolerance: Float, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "\(what): shape", file: file, line: line)
    guard a.shape == b.shape else { return }
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a.data[i] - b.data[i])) }
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): max abs difference \(worst)", file: file, line: line)
}

func randomTensor(_ shape: [Int], _ rng: inout RandomGenerator, in lo: Float = -1, _ hi: Float = 1) -> Tensor {
    var t = Tensor(zeros: shape)
    for i in 0..<t.count { t.data[i] = rng.nextFloat(in: lo, hi) }
    return t
}

/// Sum of elementwise products, in double precision.
func dot(_ a: Tensor, _ b: Tensor) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += Double(a.data[i]) * Double(b.data[i]) }
    return s
}
