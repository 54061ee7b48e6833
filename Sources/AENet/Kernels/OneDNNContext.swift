import CDNNL

/// A oneDNN call that failed: what was asked and oneDNN's status.
public struct OneDNNError: Error, CustomStringConvertible, Equatable {
    /// The call, in words, with the convolution it was for when there is one.
    public let operation: String
    /// oneDNN's status, as `dnnl_status2str` names it (e.g. "unimplemented").
    public let status: String

    public var description: String { "oneDNN: \(operation): \(status)" }
}

/// Throws a `OneDNNError` unless `status` is success.
func dnnlCheck(_ status: dnnl_status_t, _ operation: @autoclosure () -> String) throws {
    guard status != dnnl_success else { return }
    throw OneDNNError(operation: operation(), status: String(cString: dnnl_status2str(status)))
}

/// oneDNN's CPU engine and one in-order stream on it, shared by the oneDNN layers of
/// one network (passed in explicitly: no hidden global state of ours). Not thread-safe:
/// one caller at a time, as for a network's layers.
///
/// Threads: this oneDNN is built with OpenMP. Its thread count is the calling thread's
/// OpenMP setting, which each oneDNN object sets from its own `Parallelism` before it
/// creates or runs a primitive (`useThreads`). oneDNN's OpenMP threads and our workers
/// (`Parallelism.forEachRange`) never run at once: our calls are sequential, and our
/// workers wait idle while oneDNN runs. (OpenMP's threads spin a little after each
/// parallel region before they sleep, so for a moment after a oneDNN call they still
/// hold a core.)
public final class OneDNNContext {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    public init() throws {
        var engine: dnnl_engine_t?
        try dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        var stream: dnnl_stream_t?
        let status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue)
        guard status == dnnl_success, let engine, let stream else {
            dnnl_engine_destroy(engine)
            try dnnlCheck(status, "creating a stream")
            throw OneDNNError(operation: "creating a stream", status: "no stream")
        }
        self.engine = engine
        self.stream = stream
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    /// oneDNN's version, e.g. "2.6.3".
    public static var version: String {
        let v = dnnl_version().pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The OpenMP thread count of the calling thread: what oneDNN would use now.
    public static var threads: Int { Int(omp_get_max_threads()) }

    /// Sets the calling thread's OpenMP thread count, which oneDNN reads both when it
    /// creates a primitive (to plan its blocking) and when it runs one.
    static func useThreads(_ threads: Int) {
        omp_set_num_threads(Int32(max(1, threads)))
    }

    /// Runs `primitive` on `arguments` and waits for it.
    func execute(_ primitive: OneDNNPrimitive, _ arguments: [(Int32, OneDNNMemory)]) throws {
        let args = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        try dnnlCheck(dnnl_primitive_execute(primitive.primitive, stream, Int32(args.count), args),
                      "running \(primitive.what)")
        try dnnlCheck(dnnl_stream_wait(stream), "waiting for \(primitive.what)")
    }
}
