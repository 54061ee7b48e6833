import AEFormats

/// Why a training data source could not be loaded. Every case names the source
/// (a path, or the argument text for argument errors) and says what is wrong, so
/// the message alone is enough to fix the command line or the file. As a
/// `PathReportable`, the tools print it as `aetrain: <path>: <reason>`.
public enum DataSourceError: PathReportable, CustomStringConvertible, Equatable, Sendable {
    /// The data argument itself is malformed (unknown kind, bad option, bad number).
    case invalidArgument(String, reason: String)
    /// The file or folder does not exist.
    case missingFile(path: String)
    /// The file exists but cannot be read (permissions, a folder where a file was expected...).
    case unreadable(path: String, reason: String)
    /// The file is not of the kind expected (not a MAT-file, not a .npy array, not a PNG).
    case unrecognizedFormat(path: String, reason: String)
    /// A recognised format in a variant this reader does not handle (MAT v7.3, float32 .npy...).
    case unsupportedFormat(path: String, reason: String)
    /// A MAT-file without the image variable; `found` lists the variables it has.
    case missingVariable(path: String, name: String, found: [String])
    /// The images are not 32x32 RGB (or not laid out as N x 32 x 32 x 3).
    case wrongShape(path: String, reason: String)
    /// The file is truncated or internally inconsistent.
    case corrupt(path: String, reason: String)
    /// The source holds no usable images.
    case emptyDataSet(path: String, reason: String)

    public var description: String {
        if case .invalidArgument(let argument, let reason) = self {
            return "data argument '\(argument)': \(reason)"
        }
        return "\(path): \(reason)"
    }

    /// What is wrong, without the path.
    public var reason: String {
        switch self {
        case .invalidArgument(_, let reason):
            return reason
        case .missingFile:
            return "no such file or folder"
        case .unreadable(_, let reason):
            return "cannot read (\(reason))"
        case .unrecognizedFormat(_, let reason), .unsupportedFormat(_, let reason), .wrongShape(_, let reason):
            return reason
        case .missingVariable(_, let name, let found):
            let list = found.isEmpty ? "no variables" : "found: " + found.joined(separator: ", ")
            return "no variable '\(name)' (\(list))"
        case .corrupt(_, let reason):
            return "corrupt or truncated file: \(reason)"
        case .emptyDataSet(_, let reason):
            return "empty data set: \(reason)"
        }
    }

    /// A file-layer error as a data-source error (same path, same wording).
    public init(_ error: FileError) {
        switch error {
        case let .missing(path): self = .missingFile(path: path)
        case let .unreadable(path, reason), let .cannotWrite(path, reason): self = .unreadable(path: path, reason: reason)
        case let .alreadyExists(path): self = .unreadable(path: path, reason: "already exists")
        }
    }

    /// The bytes of the file at `path` (`FileBytes.read`), its errors as data-source errors.
    static func reading(_ path: String) throws -> [UInt8] {
        do {
            return try FileBytes.read(path)
        } catch let error as FileError {
            throw DataSourceError(error)
        }
    }

    /// The path (or argument) the error is about.
    public var path: String {
        switch self {
        case .invalidArgument(let p, _), .missingFile(let p), .unreadable(let p, _),
             .unrecognizedFormat(let p, _), .unsupportedFormat(let p, _),
             .missingVariable(let p, _, _), .wrongShape(let p, _), .corrupt(let p, _),
             .emptyDataSet(let p, _):
            return p
        }
    }
}
