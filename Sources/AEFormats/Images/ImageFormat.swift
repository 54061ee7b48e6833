/// The image formats the tools read, recognised by their first bytes, never by their names.
public enum ImageFormat: String, CaseIterable, Sendable {
    case png = "PNG"
    case jpeg = "JPEG"
    case webp = "WebP"

    /// Bytes `detect` needs (WebP's "RIFF", length, "WEBP").
    public static let signatureLength = 12

    /// The formats in words, for messages: "PNG, JPEG or WebP".
    public static let names = "PNG, JPEG or WebP"

    /// File name extensions (lower case) that claim an image: in a folder, such a file is
    /// an input whatever its bytes (and fails if it is not an image); other files are
    /// inputs only if their bytes are an image's.
    public static let fileExtensions: Set<String> = ["png", "jpg", "jpeg", "jpe", "jfif", "webp"]

    /// The format whose signature `prefix` starts with.
    public static func detect(_ prefix: [UInt8]) -> ImageFormat? {
        if prefix.starts(with: PNGImage.signature) { return .png }
        if prefix.starts(with: JPEGImage.signature) { return .jpeg }
        if WebPImage.isWebP(prefix) { return .webp }
        return nil
    }

    /// Whether `prefix`, too short to decide, may still begin an image: the whole of a
    /// short file is refused by the decoder, with its reason, rather than here.
    public static func couldBegin(_ prefix: [UInt8]) -> Bool {
        if detect(prefix) != nil { return true }
        guard prefix.count < signatureLength else { return false }
        let riff = Array("RIFF".utf8)
        return PNGImage.signature.starts(with: prefix) || JPEGImage.signature.starts(with: prefix)
            || riff.starts(with: prefix) || (prefix.starts(with: riff) && (prefix.count <= 8
                || Array("WEBP".utf8).starts(with: prefix[8...])))
    }
}
