/// Why a model bundle could not be read, written or turned into a model.
/// Every case names the file (`path`; "<memory>" for bundles that never touched disk).
public enum BundleError: PathReportable, CustomStringConvertible, Equatable {
    /// The file could not be opened or read (missing, a directory, permissions).
    case cannotRead(path: String, reason: String)
    /// The file could not be written.
    case cannotWrite(path: String, reason: String)
    /// The output exists and `force` was not given.
    case alreadyExists(path: String)
    /// The file does not start with the bundle signature.
    case notABundle(path: String, reason: String)
    /// The major version is not one this reader understands.
    case unsupportedVersion(path: String, major: Int, minor: Int, supportedMajor: Int)
    /// The file is shorter than its header says.
    case truncated(path: String, expected: Int, found: Int)
    /// A section's CRC-32 does not match its bytes.
    case checksumMismatch(path: String, section: String, stored: UInt32, computed: UInt32)
    /// A size in the file exceeds a documented maximum (checked before allocating).
    case limitExceeded(path: String, what: String, value: UInt64, limit: UInt64)
    /// The header's fields contradict each other or the file.
    case malformedHeader(path: String, reason: String)
    /// The metadata JSON is missing, not UTF-8, not JSON or lacks required fields.
    case invalidMetadata(path: String, reason: String)
    /// A tensor table entry is malformed or contradicts the data section.
    case tensorTableInconsistent(path: String, reason: String)
    /// The bundle does not describe the network this build can rebuild.
    case architectureMismatch(path: String, layer: String, reason: String)
    /// Training state was asked of a bundle that holds none, or it is incomplete.
    case missingTrainingState(path: String, reason: String)
    /// The caller asked for something the format cannot hold.
    case invalidRequest(path: String, reason: String)

    public var path: String {
        switch self {
        case let .cannotRead(path, _), let .cannotWrite(path, _), let .alreadyExists(path),
             let .notABundle(path, _), let .unsupportedVersion(path, _, _, _), let .truncated(path, _, _),
             let .checksumMismatch(path, _, _, _), let .limitExceeded(path, _, _, _),
             let .malformedHeader(path, _), let .invalidMetadata(path, _),
             let .tensorTableInconsistent(path, _), let .architectureMismatch(path, _, _),
             let .missingTrainingState(path, _), let .invalidRequest(path, _):
            return path
        }
    }

    public var reason: String {
        switch self {
        case let .cannotRead(_, reason):
            return FileErrorText.cannotRead(reason)
        case let .cannotWrite(_, reason):
            return FileErrorText.cannotWrite(reason)
        case .alreadyExists:
            return FileErrorText.alreadyExists
        case let .notABundle(_, reason):
            return "not a model bundle: \(reason)"
        case let .unsupportedVersion(_, major, minor, supported):
            return FileErrorText.unsupportedVersion("bundle format", major: major, minor: minor, supportedMajor: supported)
        case let .truncated(_, expected, found):
            return FileErrorText.truncated(expected: expected, found: found)
        case let .checksumMismatch(_, section, stored, computed):
            return FileErrorText.checksumMismatch(" in \(section)", stored: stored, computed: computed,
                                                  consequence: "the file is corrupted")
        case let .limitExceeded(_, what, value, limit):
            return FileErrorText.limitExceeded(what, value: "\(value)", limit: "\(limit)")
        case let .malformedHeader(_, reason):
            return "malformed header: \(reason)"
        case let .invalidMetadata(_, reason):
            return "invalid metadata: \(reason)"
        case let .tensorTableInconsistent(_, reason):
            return "tensor table inconsistent: \(reason)"
        case let .architectureMismatch(_, layer, reason):
            return "architecture mismatch at layer \(layer): \(reason)"
        case let .missingTrainingState(_, reason):
            return "no usable training state: \(reason)"
        case let .invalidRequest(_, reason):
            return reason
        }
    }

    public var description: String { "\(path): \(reason)" }

    /// A file-layer error as a bundle error (same path, same wording).
    public init(_ error: FileError) {
        switch error {
        case let .missing(path): self = .cannotRead(path: path, reason: "no such file")
        case let .unreadable(path, reason): self = .cannotRead(path: path, reason: reason)
        case let .cannotWrite(path, reason): self = .cannotWrite(path: path, reason: reason)
        case let .alreadyExists(path): self = .alreadyExists(path: path)
        }
    }
}
