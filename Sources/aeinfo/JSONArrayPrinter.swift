import AEFormats
import Foundation

/// `aeinfo --json` and `--latents`: every file's JSON document as an element of one array
/// on standard output, in the order of the inputs, printed as each file is read. A file
/// that cannot be read is an element too, `{"path": ..., "error": ...}` (its error line
/// also on standard error), so the output of any run is one valid JSON document whose
/// elements line up with the inputs.
struct JSONArrayPrinter {
    private var count = 0

    /// Adds one element: a JSON document (one object), indented under the array.
    mutating func append(_ document: String) {
        let indented = document.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "  " + $0 }.joined(separator: "\n")
        print(count == 0 ? "[" : ",")
        print(indented, terminator: "")
        count += 1
    }

    /// Adds the element of a file that failed: its path and the reason.
    mutating func append(path: String, error: Error) {
        struct Failure: Encodable { let path: String, error: String }
        let reason = (error as? PathReportable)?.reason ?? String(describing: error)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding two strings cannot fail.
        append(String(decoding: (try? encoder.encode(Failure(path: path, error: reason))) ?? Data("{}".utf8), as: UTF8.self))
    }

    /// Closes the array (`[]` when no file was given).
    func finish() {
        print(count == 0 ? "[]" : "\n]")
    }
}
