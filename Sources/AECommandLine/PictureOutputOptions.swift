import AENet
import ArgumentParser

/// The options of the aetrain commands that write one picture (`sample`, `interpolate`):
/// where it goes, how large its pixels are drawn, overwriting, and threads.
public struct PictureOutputOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Output PNG.")
    public var output: String

    @Option(help: "Draw each pixel as a SCALE x SCALE block (1 to 8).")
    public var scale = 2

    @Flag(help: "Overwrite an existing output.")
    public var force = false

    @Option(help: "Worker threads; more than the cores are capped to the cores (default: all cores).")
    public var threads: Int?  // nil: all cores (an optional, so the help states no machine's count)

    public init() {}

    public func validate() throws {
        guard (1...8).contains(scale) else { throw ValidationError("--scale must be in 1...8") }
        guard (threads ?? 1) > 0 else { throw ValidationError("--threads must be positive") }
    }
}
