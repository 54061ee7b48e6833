import AEBase
import AEFormats
import Foundation

/// What became of one input's metadata in `aeenc`, so that none is lost without a word:
/// the records `--metadata` left out, those that did not fit in the latent file, what
/// latent files cannot carry, and what was damaged.
struct MetadataReport: Sendable {
    /// Records of each kind the selection left out.
    var dropped: [MetadataRecord.Kind: Int] = [:]
    /// Records that did not fit in the latent file's metadata block.
    var tooLarge: [String] = []
    /// What the input holds that latent files do not carry ("PNG pHYs chunk").
    var notCarried: [String] = []
    /// Damaged metadata, left out, with why.
    var damaged: [String] = []

    /// The per-file notes, printed as the file is written: damaged or oversized metadata.
    var fileNotes: [String] {
        var notes = damaged.map { "damaged metadata left out: \($0)" }
        if !tooLarge.isEmpty {
            notes.append("metadata left out, too large for the latent file's \(NumberText.grouped(LatentFile.Limits.extensionBytes))-byte "
                         + "metadata block: " + tooLarge.joined(separator: ", "))
        }
        return notes
    }
}

extension EncodeConversion {
    /// The records of the input `bytes` this run carries (selected, fitting in one latent
    /// file), and the report on the rest.
    func carriedMetadata(_ bytes: [UInt8]) -> (records: [MetadataRecord], report: MetadataReport) {
        let found = ImageMetadata.read(bytes)
        var report = MetadataReport(damaged: found.damaged)
        if metadata != .none { report.notCarried = found.notCarried }
        let selected = found.records.filter { metadata.kinds.contains($0.kind) }
        for record in found.records where !metadata.kinds.contains(record.kind) {
            report.dropped[record.kind, default: 0] += 1
        }
        let (kept, leftOut) = MetadataBlock.fitting(selected)
        report.tooLarge = leftOut.map { "\($0.label) (\(NumberText.grouped($0.bytes.count)) bytes)" }
        return (kept, report)
    }
}

/// The run's metadata reports, summed up in at most two notes at its end: what
/// `--metadata` left out, and what latent files cannot carry.
// @unchecked: every mutable field is written under `lock`.
final class MetadataTally: @unchecked Sendable {
    private let lock = NSLock()
    /// Per kind: the files whose records of that kind were left out, and the records.
    private var droppedFiles: [MetadataRecord.Kind: Int] = [:]
    private var droppedRecords: [MetadataRecord.Kind: Int] = [:]
    /// Per thing not carried, in the order first met: the files that held it.
    private var notCarried: [(what: String, files: Int)] = []
    /// The files with something to say, and the first of them (named when it is the only one).
    private var droppedFileCount = 0, notCarriedFileCount = 0
    private var firstDropped = "", firstNotCarried = ""

    func add(_ report: MetadataReport, file: String) {
        lock.lock()
        defer { lock.unlock() }
        if !report.dropped.isEmpty {
            if droppedFileCount == 0 { firstDropped = file }
            droppedFileCount += 1
            for (kind, count) in report.dropped {
                droppedFiles[kind, default: 0] += 1
                droppedRecords[kind, default: 0] += count
            }
        }
        if !report.notCarried.isEmpty {
            if notCarriedFileCount == 0 { firstNotCarried = file }
            notCarriedFileCount += 1
            for what in report.notCarried {
                if let k = notCarried.firstIndex(where: { $0.what == what }) {
                    notCarried[k].files += 1
                } else {
                    notCarried.append((what, 1))
                }
            }
        }
    }

    /// The end-of-run notes (without the tool's name), for `selection`: each names the file
    /// when only one file has something to say, and counts the files otherwise.
    func notes(_ selection: MetadataSelection) -> [String] {
        lock.lock()
        defer { lock.unlock() }
        var notes: [String] = []
        func files(_ n: Int) -> String { "\(n) file\(n == 1 ? "" : "s")" }
        if droppedFileCount > 0 {
            let kinds = droppedFiles.keys.sorted()
            let what: String
            if droppedFileCount == 1 {
                what = kinds.map { kind in
                    let n = droppedRecords[kind]!
                    return kind.isRepeatable ? "\(n) \(kind.name) entr\(n == 1 ? "y" : "ies")" : kind.name
                }.joined(separator: ", ")
            } else {
                what = kinds.map { "\($0.name) (\(files(droppedFiles[$0]!)))" }.joined(separator: ", ")
            }
            notes.append((droppedFileCount == 1 ? "\(firstDropped): " : "")
                         + "note: \(selection.described) left out metadata: \(what); --metadata all keeps it")
        }
        if notCarriedFileCount > 0 {
            let what = notCarriedFileCount == 1 ? notCarried.map(\.what).joined(separator: ", ")
                : notCarried.map { "\($0.what) (\(files($0.files)))" }.joined(separator: ", ")
            notes.append((notCarriedFileCount == 1 ? "\(firstNotCarried): " : "")
                         + "note: metadata that latent files do not carry, left out: \(what)")
        }
        return notes
    }
}
