import Foundation

/// Process-wide OpenMP settings for the tools that run oneDNN (`--engine onednn`; not
/// applied by the library on its own).
public enum OpenMPTuning {
    /// Makes OpenMP's threads sleep, not spin, between oneDNN's calls: spinning, they take
    /// the cores from our own workers, which run the layers between the convolutions
    /// (measured: the reference model trains about 10% faster with OMP_WAIT_POLICY=PASSIVE,
    /// Benchmarks/dnnl_probe.md). libgomp reads the setting once, when it is loaded, so
    /// when it is not set the process runs itself again with it (the same arguments, before
    /// any work); a setting the user made is kept. Returns only when the process goes on as
    /// it is (the variable was set, or running it again failed).
    public static func sleepBetweenCalls() {
        guard ProcessInfo.processInfo.environment["OMP_WAIT_POLICY"] == nil else { return }
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        for pointer in argv { free(pointer) }  // execv failed: go on with spinning threads
    }
}
