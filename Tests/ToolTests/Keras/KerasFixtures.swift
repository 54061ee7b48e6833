import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

/// The committed Keras fixtures (Fixtures/keras, written by Scripts/make_keras_fixtures.py
/// with TensorFlow/Keras) and a Python that can run the converters (numpy and h5py).
enum KerasFixtures {
    static let folder = TestFixtures.path("keras")
    static let scripts = TestFixtures.repositoryRoot + "/Scripts"

    static func path(_ name: String) -> String { folder + "/" + name }

    /// A little-endian .npy array: its shape and its values as Float (uint8 or float32 data).
    static func npy(_ name: String) throws -> (shape: [Int], values: [Float]) {
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(name))))
        // Version 1 header: magic (6), version (2), u16 header length, then a Python dict.
        guard b.count > 10, b[0] == 0x93, Array(b[1..<6]) == Array("NUMPY".utf8), b[6] == 1 else {
            // A damaged committed fixture must fail the parity tests, not skip them.
            throw ToolError(path: path(name), reason: "not a version 1 .npy file")
        }
        let headerLength = Int(b[8]) | Int(b[9]) << 8
        let header = String(decoding: b[10..<(10 + headerLength)], as: UTF8.self)
        let data = Array(b[(10 + headerLength)...])
        let shapeText = header.components(separatedBy: "'shape': (")[1].components(separatedBy: ")")[0]
        let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        XCTAssertTrue(header.contains("'fortran_order': False"), name)
        if header.contains("'|u1'") {
            return (shape, data.map(Float.init))
        }
        XCTAssertTrue(header.contains("'<f4'"), "\(name): \(header)")
        let values = stride(from: 0, to: data.count, by: 4).map { i in
            Float(bitPattern: UInt32(data[i]) | UInt32(data[i + 1]) << 8 | UInt32(data[i + 2]) << 16 | UInt32(data[i + 3]) << 24)
        }
        return (shape, values)
    }

    /// The values recorded in fixtures.json.
    static func summary() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("fixtures.json")))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// A python3 with numpy and h5py (the converters' needs): the one on PATH, else the
    /// system's (/usr/bin/python3, where apt installs python3-h5py). Skips the test when none has them.
    static func python() throws -> String {
        guard let found = foundPython else {
            throw XCTSkip("no python3 with numpy and h5py (Scripts/install-deps.sh installs python3-numpy python3-h5py)")
        }
        return found
    }

    private static let foundPython: String? = {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { $0 + "/python3" } + ["/usr/bin/python3"]
        return candidates.first { candidate in
            guard FileManager.default.isExecutableFile(atPath: candidate),
                  let run = try? ToolProcess.run(executable: candidate, ["-c", "import numpy, h5py"]) else { return false }
            return run.status == 0
        }
    }()
}
