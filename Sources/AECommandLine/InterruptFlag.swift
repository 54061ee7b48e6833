import AECodec
import AEFormats
import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long work polls, so it
/// can stop between two steps with nothing half-written. A second signal ends
/// the process at once (files are only ever replaced by atomic renames, so even
/// that loses nothing but the work in flight).
public final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised: Int32? = nil
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Starts catching SIGINT and SIGTERM.
    public func install() {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let again = self.raised != nil
                self.raised = sig
                self.lock.unlock()
                if again {
                    signal(sig, SIG_DFL)
                    raise(sig)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The signal received, if any.
    public var receivedSignal: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }

    public var isRaised: Bool { receivedSignal != nil }
}
