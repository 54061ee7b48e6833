import ArgumentParser

/// Placeholder: the command line is defined; the codec arrives with a later issue.
struct AEenc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aeenc",
        abstract: "Encode PNG images into compact latent files (.ael) with a trained autoencoder.",
        discussion: "Not available yet in this build: it needs the model bundle and latent file formats.")

    @Argument(help: "PNG files to encode ('-' for standard input).")
    var inputs: [String] = []

    func run() throws {
        throw ValidationError("aeenc is not available yet in this build")
    }
}

AEenc.main()
