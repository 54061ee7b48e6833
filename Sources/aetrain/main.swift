import AENet
import ArgumentParser

/// Trains the reference autoencoder. This first version prints the model
/// summary; data loading, training and bundles come with the aetrain issue.
struct AETrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aetrain",
        abstract: "Train the SVHN convolutional autoencoder used by aeenc/aedec.",
        discussion: """
            The model: encoder Conv2D(32)-MaxPool-Conv2D(64)-MaxPool-Conv2D(128)-MaxPool-Flatten-Dense(latent), \
            decoder Dense(2048)-Reshape(4,4,128)-Conv2DTranspose(128)-UpSample-Conv2DTranspose(64)-UpSample-\
            Conv2DTranspose(32)-UpSample-Conv2D(3, sigmoid); 3x3 kernels, 'same' padding, ReLU, MSE, Adam.
            Use --summary to print its layer table.
            """)

    @Flag(help: "Print the model's layer table (Keras-style) and exit.")
    var summary = false

    @Option(name: .customLong("latent-dim"), help: "Size of the latent vector.")
    var latentDim = 64

    func validate() throws {
        guard latentDim > 0 else { throw ValidationError("--latent-dim must be positive, got \(latentDim)") }
        guard summary else {
            throw ValidationError("training from data files is not available yet; use --summary")
        }
    }

    func run() throws {
        print(Summary.table(for: ReferenceModel.build(latentDim: latentDim)))
    }
}

AETrain.main()
