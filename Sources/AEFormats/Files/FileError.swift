/// Why a file could not be read or written: the one error domain of the file layer
/// (`FileBytes`, `AtomicFile`, `GroupCommit`). Each format maps it into its own domain
/// (`BundleError`, `LatentFileError`, `DataSourceError`); other files (PNG outputs, CSVs,
/// report pages) report it as it is.
public enum FileError: PathReportable, CustomStringConvertible, Equatable, Sendable {
    /// Nothing at the path (or a path through something that is not a folder).
    case missing(path: String)
    /// It exists but cannot be read: a folder, permissions, an I/O error, over a size limit.
    case unreadable(path: String, reason: String)
    /// The file could not be written (created, flushed or moved into place).
    case cannotWrite(path: String, reason: String)
    /// The output exists and `force` was not given.
    case alreadyExists(path: String)

    public var path: String {
        switch self {
        case let .missing(path), let .unreadable(path, _), let .cannotWrite(path, _), let .alreadyExists(path):
            return path
        }
    }

    public var reason: String {
        switch self {
        case .missing: return "no such file or folder"
        case let .unreadable(_, reason): return "cannot read (\(reason))"
        case let .cannotWrite(_, reason): return FileErrorText.cannotWrite(reason)
        case .alreadyExists: return FileErrorText.alreadyExists
        }
    }

    public var description: String { "\(path): \(reason)" }
}
