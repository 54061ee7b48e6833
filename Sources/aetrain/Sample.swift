import AEProcess
import AECommandLine
import AEFormats
import AENet
import ArgumentParser
import Foundation

/// `aetrain sample`: draws from a variational model's prior into a picture grid.
/// Argument parsing only: the work is `SampleJob` in AECommandLine.
struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Decode random draws from a variational model's prior N(0, I) into a PNG grid.",
        usage: "aetrain sample MODEL -n N -o GRID.png [--seed S] [options]",
        discussion: """
            MODEL is a bundle trained with aetrain --variational. The draws are a pure function \
            of --seed: the same command gives the same picture. A model also trained with \
            --conditional needs --digit D (N draws of that digit) or --digit all (ten rows, one \
            per digit, each with the same N draws).

            Exit status: 0 done, 1 bad input or failure, 64 usage error (bad option or value).
            """)

    @Argument(help: "A variational model bundle.")
    var model: String

    @Option(name: .short, help: "Number of draws (1 to 1,024).")
    var n = 64

    @Option(help: "Seed of the draws.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Conditional models: the digit to draw (0 to 9), or 'all' for a row per digit sharing the same draws.", valueName: "D"))
    var digit: String?

    @Option(help: "Images per row (default: the square root of N, rounded up).")
    var columns: Int?

    @OptionGroup var picture: PictureOutputOptions

    func validate() throws {
        guard (1...1024).contains(n) else { throw ValidationError("-n must be in 1...1,024, got \(n)") }
        if let columns, !(1...1024).contains(columns) { throw ValidationError("--columns must be in 1...1,024") }
        if let digit, digit != "all", !(UInt8(digit).map { $0 <= 9 } ?? false) {
            throw ValidationError("--digit must be 0...9 or all, got \(digit)")
        }
    }

    func run() throws {
        Parallelism.useSingleThreadedBLAS()
        var settings = SampleJob.Settings()
        settings.model = model
        settings.count = n
        settings.output = picture.output
        settings.seed = seed
        settings.digits = digit.map { $0 == "all" ? Array(0 ... 9) : [UInt8($0)!] }
        settings.columns = columns
        settings.scale = picture.scale
        settings.force = picture.force
        settings.threads = Parallelism.capped(picture.threads ?? Parallelism.availableCores)
        do {
            let r = try SampleJob(settings: settings).run()
            TerminalOutput.standardError(quiet: false).line("Wrote \(r.path) (\(r.count) draws from N(0, I) in \(r.latentDim) dimensions, seed \(seed))")
        } catch {
            ToolReporter.report(tool: "aetrain", error: error)
            throw ExitCode.failure
        }
    }
}
