import AEBase
import AEFormats
import AENet
import Dispatch
import Foundation

/// Why an image could not be encoded, or a latent file decoded, with a model
/// (PNG decoding, file format and I/O problems come with their own errors).
public enum CodecError: PathReportable, CustomStringConvertible, Equatable, Sendable {
    /// The input is not a PNG, JPEG or WebP image, or its library refused it.
    case unreadableImage(path: String, reason: String)
    /// The image exceeds `ImageCodec.maxSide` or `ImageCodec.maxPixels`.
    case imageTooLarge(path: String, width: Int, height: Int)
    /// The latent file was made by another model. `file`: the file's fingerprint prefix
    /// (16 hex digits); `model`: the model in use (32 hex digits); `suggestion`: a
    /// built-in model whose fingerprint matches the file, if any.
    case modelMismatch(path: String, file: String, model: String, modelName: String, suggestion: String?)
    /// The file or the model does not fit the codec (tile size, latent size, pixel layout).
    case incompatible(path: String, reason: String)
    /// `--reference` image that cannot be compared with the decoded one.
    case referenceMismatch(path: String, reason: String)
    /// `shouldStop` said to stop (Ctrl-C) before every chunk of tiles was done.
    case interrupted(path: String)

    public var path: String {
        switch self {
        case let .unreadableImage(path, _), let .imageTooLarge(path, _, _),
             let .modelMismatch(path, _, _, _, _), let .incompatible(path, _), let .referenceMismatch(path, _),
             let .interrupted(path):
            return path
        }
    }

    public var reason: String {
        switch self {
        case let .unreadableImage(_, reason):
            return reason
        case let .imageTooLarge(_, w, h):
            return "image is \(w)x\(h), over the codec's limit of \(ImageCodec.maxSide) pixels a side "
                + "and \(ImageCodec.maxPixels) pixels in all"
        case let .modelMismatch(_, file, model, name, suggestion):
            let hint = suggestion.map { "; it matches the built-in model \($0): use --model \($0)" }
                ?? "; no built-in model matches it: pass the bundle that encoded it with --model PATH"
            return "was encoded with model \(file) but the model in use (\(name)) is \(model)\(hint)"
        case let .incompatible(_, reason), let .referenceMismatch(_, reason):
            return reason
        case .interrupted:
            return "interrupted before it was complete; nothing written"
        }
    }

    public var description: String { "\(path): \(reason)" }
}
