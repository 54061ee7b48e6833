/// The toolkit's version, recorded in the bundles and latent files it writes.
public enum AECodecVersion {
    /// Version of the toolkit, recorded in the bundles and files it writes.
    public static let string = "0.1.0"
}
