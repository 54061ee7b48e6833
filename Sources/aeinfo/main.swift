import ArgumentParser

/// Placeholder: the command line is defined; the codec arrives with a later issue.
struct AEinfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeinfo",
        abstract: "Print the header and metadata of a model bundle (.aemodel) or latent file (.ael).",
        discussion: "Not available yet in this build: it needs the model bundle and latent file formats.")

    @Argument(help: "Files to inspect.")
    var inputs: [String] = []

    func run() throws {
        throw ValidationError("aeinfo is not available yet in this build")
    }
}

AEinfo.main()
