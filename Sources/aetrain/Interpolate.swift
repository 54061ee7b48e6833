import AEProcess
import AECommandLine
import AEFormats
import AENet
import ArgumentParser
import Foundation

/// `aetrain interpolate`: a strip of decoded points between two pictures' latents.
/// Argument parsing only: the work is `InterpolateJob` in AECommandLine.
struct Interpolate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Decode points on the path between two pictures' latents into a PNG strip.",
        usage: "aetrain interpolate MODEL A.png B.png --steps K -o STRIP.png [options]",
        discussion: """
            A and B are PNGs of the model's image size (32x32 for the reference family). The strip \
            shows A, the K decoded points from A's latent to B's (both ends included), then B: \
            one row along the straight line, and for a variational model a second row along the \
            great circle (spherical interpolation), which keeps the points at a norm the prior \
            finds typical.

            Exit status: 0 done, 1 bad input or failure, 64 usage error (bad option or value).
            """)

    @Argument(help: "A model bundle or built-in name.")
    var model: String

    @Argument(help: "The first picture.")
    var first: String

    @Argument(help: "The second picture.")
    var second: String

    @Option(help: "Decoded points, both ends included (2 to 64).")
    var steps = 8

    @OptionGroup var picture: PictureOutputOptions

    func validate() throws {
        guard (2...64).contains(steps) else { throw ValidationError("--steps must be in 2...64, got \(steps)") }
    }

    func run() throws {
        Parallelism.useSingleThreadedBLAS()
        var settings = InterpolateJob.Settings()
        settings.model = model
        settings.first = first
        settings.second = second
        settings.steps = steps
        settings.output = picture.output
        settings.scale = picture.scale
        settings.force = picture.force
        settings.threads = Parallelism.capped(picture.threads ?? Parallelism.availableCores)
        do {
            let r = try InterpolateJob(settings: settings).run()
            TerminalOutput.standardError(quiet: false).line("Wrote \(r.path) (\(steps) steps; rows: \(r.rows.joined(separator: ", ")))")
        } catch {
            ToolReporter.report(tool: "aetrain", error: error)
            throw ExitCode.failure
        }
    }
}
