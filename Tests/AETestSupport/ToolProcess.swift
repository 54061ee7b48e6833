import CTestSpawn
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// A built tool (`aeenc`, `aetrain`, ...) or a script's interpreter running as a child
/// process: the one way the tests run a process, to the end, or to wait on it, signal or
/// kill it. Standard output and error go to files (no pipe can fill up and stall the
/// child). Every wait has a deadline, so a test never hangs on a stuck tool. The child is
/// started with posix_spawn and reaped with wait4, which gives its peak memory.
public final class ToolProcess {
    /// How the process ended.
    public enum Termination: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    /// Where standard output goes.
    public enum Output: Sendable {
        /// A temporary file, read by `stdout`.
        case captured
        /// This file (e.g. /dev/null, /dev/full).
        case file(String)
        /// A pipe whose reading end is already closed (writes fail with EPIPE).
        case closedPipe
    }

    /// What a process run to the end left.
    public struct Result {
        /// The exit status, or 128 + the signal that ended it.
        public var status: Int32
        public var termination: Termination
        public var stdout: Data
        public var stderr: String
        /// Peak resident memory in bytes (`ru_maxrss` of exactly this child, from wait4).
        public var peakMemory: Int

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    public let pid: pid_t
    private let outPath: String?
    private let errPath: String
    private var ended: (termination: Termination, peakMemory: Int)?

    /// The executable `name` from the build folder of the test binary (the scratch path's
    /// `debug/`, sanitized builds included); skips the test when it is not built.
    public static func path(of name: String) throws -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for folder in [bin, bin.deletingLastPathComponent()] {
            let path = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip("\(name) is not built next to the tests (\(bin.path))")
    }

    /// The python3 on PATH, else the system's (/usr/bin/python3); skips the test when there is none.
    public static func python3() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { $0 + "/python3" } + ["/usr/bin/python3"]
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no python3")
        }
        return found
    }

    /// Starts the built tool `name` (see `path(of:)`).
    public convenience init(_ name: String, _ arguments: [String], in folder: String? = nil, stdin: String? = nil,
                            stdout: Output = .captured, environment: [String: String] = [:]) throws {
        try self.init(executable: try Self.path(of: name), arguments, in: folder, stdin: stdin, stdout: stdout,
                      environment: environment)
    }

    /// Starts `executable arguments` in `folder` (default: the test's), reading `stdin`
    /// (default: /dev/null), with `environment` added to the test's.
    public init(executable: String, _ arguments: [String], in folder: String? = nil, stdin: String? = nil,
                stdout: Output = .captured, environment: [String: String] = [:]) throws {
        let id = UUID().uuidString
        let temporary = FileManager.default.temporaryDirectory.path
        errPath = temporary + "/tool-\(id).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // Paths open before the change of folder, so relative ones are the test's.
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        var pipeWriter: Int32 = -1
        switch stdout {
        case .captured:
            outPath = temporary + "/tool-\(id).out"
            posix_spawn_file_actions_addopen(&actions, 1, outPath!, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .file(let path):
            outPath = nil
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        case .closedPipe:
            outPath = nil
            var ends: [Int32] = [-1, -1]
            guard pipe(&ends) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            close(ends[0])
            pipeWriter = ends[1]
            posix_spawn_file_actions_adddup2(&actions, pipeWriter, 1)
        }
        defer { if pipeWriter >= 0 { close(pipeWriter) } }
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        aecodec_spawn_addclosefrom(&actions, 3)
        if let folder { aecodec_spawn_addchdir(&actions, folder) }

        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO, userInfo: [NSFilePathErrorKey: executable])
        }
        pid = child
    }

    deinit {
        if ended == nil {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
        }
        if let outPath { unlink(outPath) }
        unlink(errPath)
    }

    /// Reaps the child once it has ended; nil while it runs.
    private func reap(blocking: Bool) -> (termination: Termination, peakMemory: Int)? {
        if let ended { return ended }
        var status: Int32 = 0
        var usage = rusage()
        var result: pid_t
        repeat { result = wait4(pid, &status, blocking ? 0 : WNOHANG, &usage) } while result < 0 && errno == EINTR
        guard result == pid else { return nil }
        let termination: Termination = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
        ended = (termination, usage.ru_maxrss * 1024)
        return ended
    }

    public var isRunning: Bool { reap(blocking: false) == nil }

    /// How it ended (waits for the end, see `finish`).
    public var termination: Termination {
        finish()
        return ended!.termination
    }

    /// Peak resident memory in bytes (waits for the end, see `finish`).
    public var peakMemory: Int {
        finish()
        return ended!.peakMemory
    }

    /// (Read through FileHandle: Foundation's String(contentsOf:) and Data(contentsOf:)
    /// leak a 4 KiB buffer on an empty file, which AddressSanitizer reports.)
    private static func contents(_ path: String?) -> Data {
        guard let path, let handle = FileHandle(forReadingAtPath: path) else { return Data() }
        defer { try? handle.close() }
        return (try? handle.readToEnd()) ?? Data()
    }

    public var stdoutData: Data { Self.contents(outPath) }
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: Self.contents(errPath), as: UTF8.self) }

    /// Sends `signal` while the process runs.
    public func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Polls `condition` until it holds or the process ends (true: it held while the
    /// process was still running); fails the test after `timeout` seconds.
    public func wait(until condition: () -> Bool, timeout: TimeInterval = 600,
                     file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning {
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
    public func finish(timeout: TimeInterval = 900, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if isRunning {
            XCTFail("still running after \(timeout) s; killed", file: file, line: line)
            kill(pid, SIGKILL)
        }
        switch reap(blocking: true)!.termination {
        case .exited(let status): return status
        case .signalled(let signal): return 128 + signal
        }
    }

    /// SIGKILL (nothing can be cleaned up), then waits; returns what `finish` returns.
    @discardableResult
    public func killNow() -> Int32 {
        send(SIGKILL)
        return finish()
    }

    /// Everything the ended process left.
    public func result(timeout: TimeInterval = 900, file: StaticString = #filePath, line: UInt = #line) -> Result {
        let status = finish(timeout: timeout, file: file, line: line)
        return Result(status: status, termination: ended!.termination, stdout: stdoutData, stderr: stderr,
                      peakMemory: ended!.peakMemory)
    }

    /// Runs the built tool `name` to the end.
    public static func run(_ name: String, _ arguments: [String], in folder: String? = nil, stdin: String? = nil,
                           stdout: Output = .captured, environment: [String: String] = [:], timeout: TimeInterval = 900,
                           file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        try ToolProcess(name, arguments, in: folder, stdin: stdin, stdout: stdout, environment: environment)
            .result(timeout: timeout, file: file, line: line)
    }

    /// Runs `executable` (python3, a script) to the end.
    public static func run(executable: String, _ arguments: [String], in folder: String? = nil, stdin: String? = nil,
                           environment: [String: String] = [:], timeout: TimeInterval = 900,
                           file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        try ToolProcess(executable: executable, arguments, in: folder, stdin: stdin, environment: environment)
            .result(timeout: timeout, file: file, line: line)
    }
}
