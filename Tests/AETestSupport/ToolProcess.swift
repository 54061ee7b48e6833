import Foundation
import XCTest

/// A built tool (`aeenc`, `aetrain`, ...) running as a child process, for tests that
/// wait on it, kill it, or run it to the end. Standard output and error go to files
/// (no pipe can fill up and stall the child). Every wait has a deadline, so a test
/// never hangs on a stuck tool.
final class ToolProcess {
    let process = Process()
    private let outURL: URL
    private let errURL: URL

    /// The executable `name` from the build folder of the test binary (the scratch path's
    /// `debug/`, sanitized builds included); skips the test when it is not built.
    static func path(of name: String) throws -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for folder in [bin, bin.deletingLastPathComponent()] {
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip("\(name) is not built next to the tests (\(bin.path))")
    }

    /// Starts `name arguments` in `folder`.
    init(_ name: String, _ arguments: [String], in folder: String) throws {
        process.executableURL = URL(fileURLWithPath: try Self.path(of: name))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let id = UUID().uuidString
        outURL = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(id).out")
        errURL = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(id).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }

    var pid: pid_t { process.processIdentifier }
    /// (Read through FileHandle: Foundation's String(contentsOf:) and Data(contentsOf:)
    /// leak a 4 KiB buffer on an empty file, which AddressSanitizer reports.)
    var stderr: String {
        guard let handle = try? FileHandle(forReadingFrom: errURL) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    var stdout: String {
        guard let handle = try? FileHandle(forReadingFrom: outURL) else { return "" }
        defer { try? handle.close() }
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// Polls `condition` until it holds or the process ends (true: it held while the
    /// process was still running); fails the test after `timeout` seconds.
    func wait(until condition: () -> Bool, timeout: TimeInterval = 600,
              file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if condition() { return true }
            if Date() > deadline {
                XCTFail("condition not reached in \(timeout) s", file: file, line: line)
                return false
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return false
    }

    /// Waits for the process to end (SIGKILL after `timeout` seconds, failing the test);
    /// returns its exit status, or 128 + the signal that ended it.
    @discardableResult
    func finish(timeout: TimeInterval = 900, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            XCTFail("still running after \(timeout) s; killed", file: file, line: line)
            kill(pid, SIGKILL)
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// SIGKILL (nothing can be cleaned up), then waits; returns what `finish` returns.
    @discardableResult
    func killNow() -> Int32 {
        if process.isRunning { kill(pid, SIGKILL) }
        return finish()
    }

    /// Runs a tool to the end; returns its exit status and standard error.
    static func run(_ name: String, _ arguments: [String], in folder: String,
                    file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, stderr: String) {
        let tool = try ToolProcess(name, arguments, in: folder)
        let status = tool.finish(file: file, line: line)
        return (status, tool.stderr)
    }
}
