import ArgumentParser

/// Placeholder: the command line is defined; the codec arrives with a later issue.
struct AEdec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aedec",
        abstract: "Decode latent files (.ael) back into PNG images.",
        discussion: "Not available yet in this build: it needs the model bundle and latent file formats.")

    @Argument(help: "Latent files to decode ('-' for standard input).")
    var inputs: [String] = []

    func run() throws {
        throw ValidationError("aedec is not available yet in this build")
    }
}

AEdec.main()
