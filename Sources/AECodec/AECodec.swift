/// The codec library: everything between the network (AENet) and the tools:
/// model bundles, latent files, image I/O and tiling, training data sources.
public enum AECodecVersion {
    /// Version of the toolkit, recorded in the bundles and files it writes.
    public static let string = "0.1.0"
}
