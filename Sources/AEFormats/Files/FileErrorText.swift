/// The wording that errors about files share (bundles, latent files, the tools'
/// outputs), so the same problem reads the same whichever file it is about.
public enum FileErrorText {
    public static let alreadyExists = "already exists (use --force to overwrite)"

    public static func cannotRead(_ reason: String) -> String { "cannot read: \(reason)" }

    public static func cannotWrite(_ reason: String) -> String { "cannot write: \(reason)" }

    /// `format` names the kind of file: "bundle format", "latent file format".
    public static func unsupportedVersion(_ format: String, major: Int, minor: Int, supportedMajor: Int) -> String {
        "unsupported \(format) version \(major).\(minor) (this reader understands major version \(supportedMajor))"
    }

    /// As above, for a reader of several majors: "... understands major versions 1 and 2".
    public static func unsupportedVersion(_ format: String, major: Int, minor: Int, supportedMajors: [Int]) -> String {
        guard supportedMajors.count > 1, let last = supportedMajors.last else {
            return unsupportedVersion(format, major: major, minor: minor, supportedMajor: supportedMajors.first ?? 0)
        }
        let list = supportedMajors.dropLast().map(String.init).joined(separator: ", ") + " and \(last)"
        return "unsupported \(format) version \(major).\(minor) (this reader understands major versions \(list))"
    }

    public static func truncated(expected: Int, found: Int) -> String { "truncated: expected \(expected) bytes, found \(found)" }

    public static func limitExceeded(_ what: String, value: String, limit: String) -> String {
        "\(what) is \(value), more than the limit of \(limit)"
    }

    public static func checksumMismatch(_ place: String, stored: UInt32, computed: UInt32, consequence: String) -> String {
        "checksum mismatch\(place) (stored CRC-32 \(hex32(stored)), computed \(hex32(computed))): \(consequence)"
    }

    /// "0x" and 8 lowercase hex digits.
    public static func hex32(_ v: UInt32) -> String {
        "0x" + SHA256.hex((0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) })
    }
}
