import CInterrupt
#if canImport(Glibc)
import Glibc
#endif

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long work polls (between files,
/// batches and chunks of tiles), so it can stop between two steps with nothing
/// half-written. A second signal ends the process at once, even while every thread is
/// busy (files are only ever replaced by atomic renames, so even that loses nothing
/// but the work in flight). The signal state is the process's own, so there is one.
public final class InterruptFlag: Sendable {
    public init() {}

    /// Starts catching SIGINT and SIGTERM.
    public func install() { ae_interrupt_install() }

    /// What a tool that writes files or streams sets up first: SIGINT and SIGTERM caught
    /// into the returned flag, and SIGPIPE ignored, so a closed standard output is a
    /// write error (EPIPE) to report, not a silent death.
    public static func installForTool() -> InterruptFlag {
        let flag = InterruptFlag()
        flag.install()
        signal(SIGPIPE, SIG_IGN)
        return flag
    }

    /// The signal received, if any.
    public var receivedSignal: Int32? {
        let s = ae_interrupt_signal()
        return s == 0 ? nil : s
    }

    public var isRaised: Bool { receivedSignal != nil }
}
