import AECodec
import AECommandLine
import AEData
import AEFormats
import AEBase
import Foundation
import XCTest

/// The committed Keras fixtures (Fixtures/keras, written by Scripts/make_keras_fixtures.py
/// with TensorFlow/Keras) and a Python that can run the converters (numpy and h5py).
enum KerasFixtures {
    static let folder = DataFixtures.repositoryRoot + "/Fixtures/keras"
    static let scripts = DataFixtures.repositoryRoot + "/Scripts"

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
                  let run = try? runProcess(candidate, ["-c", "import numpy, h5py"]) else { return false }
            return run.status == 0
        }
    }()

    /// A built tool (`aeenc`, `aeinfo`, ...) next to the test binary; skips the test when absent.
    static func tool(_ name: String) throws -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for folder in [bin, bin.deletingLastPathComponent()] {
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip("\(name) is not built next to the tests (\(bin.path))")
    }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `executable` to the end, collecting both outputs.
    static func runProcess(_ executable: String, _ arguments: [String], in folder: String? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the process runs, so neither can fill up and block it.
        let errData = Collected()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// What the reader thread collected (read after the group is waited for).
    final class Collected: @unchecked Sendable {
        var data = Data()
    }
}
