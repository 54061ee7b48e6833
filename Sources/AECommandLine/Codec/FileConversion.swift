import AECodec
import AEFormats

/// One kind of file conversion a `CodecJob` runs over files: what it reads and writes,
/// how it recognises its input from the first bytes, how one file becomes the other, and
/// when an existing output may be kept. `aeenc` runs `EncodeConversion`, `aedec` runs
/// `DecodeConversion`; another kind of conversion is another type conforming to this
/// (and a `CodecJob.Direction` case naming it), not new branches in the job.
protocol FileConversion: Sendable {
    /// The tool's name in messages ("aeenc").
    var tool: String { get }
    /// Extensions (lower case) that claim an input: such a file in an input folder is
    /// taken whatever its bytes (and fails if it is not an input).
    var inputExtensions: Set<String> { get }
    /// What the inputs are, in words ("PNG, JPEG or WebP images").
    var inputKind: String { get }
    /// The extension of the outputs.
    var outputExtension: String { get }
    /// What an output is called in messages ("latent file", "PNG").
    var outputKind: String { get }
    /// The most bytes one input may have.
    var inputLimit: Int { get }

    /// Refuses settings this conversion cannot use, before any work.
    func validate(_ settings: CodecJob.Settings) throws
    /// Refuses a model this conversion cannot use (checked once, on the first codec).
    func check(_ codec: ModelCodec) throws
    /// Refuses, from its first bytes, an input of the wrong kind (`name` names it), so
    /// /dev/zero or a wrong file is refused at once instead of after the size limit.
    func checkPrefix(_ prefix: [UInt8], name: String) throws
    /// What a file in an input folder whose name claims nothing is, from its first bytes
    /// (`FileBytes.signatureLength` of them).
    func classify(prefix: [UInt8]) -> FolderEntry
    /// The bytes of the input file at `path`, `checkPrefix` applied to its first bytes.
    func readInput(path: String) throws -> [UInt8]
    /// One input's bytes (`name` names it) as the output's bytes and the file's figures,
    /// with the worker's codecs.
    func convert(_ bytes: [UInt8], name: String, task: CodecJob.Task, codecs: WorkerCodecs) throws -> ConvertedFile
    /// Why the existing output at `path` is not a complete output of this run (nil: keep
    /// it); throws when it cannot be read or parsed at all.
    func problem(withExisting path: String, codecs: WorkerCodecs) throws -> String?
}

/// A file in an input folder, by its first bytes.
enum FolderEntry: Equatable {
    /// An input.
    case input
    /// The other tool's kind of file (latent files for aeenc, images for aedec), which
    /// outputs written beside their inputs leave there: passed over without a word
    /// (documented in the tools' help).
    case counterpart
    /// Anything else: skipped, and named with `reason`.
    case other(reason: String)
}

/// One converted file, waiting to be written.
struct ConvertedFile {
    var bytes: [UInt8]
    var result: CodecJob.FileResult
    /// The `--reference` image could not be compared: reported once the output is written.
    var referenceProblem: Error? = nil
    /// A line to report once the output is written (the size or PSNR target was missed).
    var warning: String? = nil
    /// Notes to report once the output is written (damaged or oversized metadata left out).
    var notes: [String] = []
    /// What became of the input's metadata (aeenc), for the run's end-of-run notes.
    var metadata: MetadataReport? = nil
}

extension FileConversion {
    /// The bytes of `task`'s input (a file, or standard input).
    func read(_ input: CodecJob.Endpoint, name: String) throws -> [UInt8] {
        switch input {
        case .standardStream:
            return try FileBytes.standardInput(limit: inputLimit, checkPrefix: { try checkPrefix($0, name: name) })
        case .file(let path):
            return try readInput(path: path)
        }
    }
}
