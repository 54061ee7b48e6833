import AEFormats
import AENet

/// Reads 32x32 RGB images from a NumPy `.npy` file: a uint8 array of shape
/// (N, 32, 32, 3) in C order, format version 1.0, 2.0 or 3.0 (what
/// `numpy.save` writes). Other dtypes, shapes, Fortran order, object arrays and
/// truncated files are refused with a message saying what was found.
public struct NpyFile: Sendable {
    /// The images, N x 32 x 32 x 3.
    public let images: ImageSet
    /// The file's format version, e.g. "1.0".
    public let formatVersion: String
    /// The header's dtype string, e.g. "|u1".
    public let dtype: String

    /// The image shape after N that this reader accepts.
    public static let imageShape = [32, 32, 3]

    /// Reads the file at `path`.
    public init(path: String) throws {
        try self.init(bytes: try DataSourceError.reading(path), path: path)
    }

    /// Parses a .npy file already in memory; `path` only labels errors.
    public init(bytes: [UInt8], path: String = "<memory>") throws {
        let header = try NpyHeader(bytes: bytes, path: path)
        let descr = header.descr, fortranOrder = header.fortranOrder, shape = header.shape
        guard ["|u1", "u1", "<u1", ">u1", "=u1", "|B", "B"].contains(descr) else {
            throw DataSourceError.unsupportedFormat(
                path: path, reason: "dtype '\(descr)' is not supported; expected uint8 ('|u1')")
        }
        let shapeText = header.shapeText
        guard shape.count == 4, Array(shape[1...]) == Self.imageShape else {
            throw DataSourceError.wrongShape(
                path: path, reason: "array has shape \(shapeText), expected (N, 32, 32, 3)")
        }
        if fortranOrder {
            throw DataSourceError.unsupportedFormat(
                path: path, reason: "array is in Fortran order; re-save it in C order (numpy.ascontiguousarray)")
        }
        let count = shape[0]
        let dataStart = header.dataStart
        func corrupt(_ reason: String) -> DataSourceError { .corrupt(path: path, reason: reason) }
        let (dataSize, overflow) = count.multipliedReportingOverflow(by: 32 * 32 * 3)
        let available = bytes.count - dataStart
        guard !overflow, dataSize <= available else {
            throw corrupt("shape \(shapeText) needs \(overflow ? "too many" : String(dataSize)) data bytes but only \(available) follow the header")
        }
        guard dataSize == available else {
            throw corrupt("\(available - dataSize) unexpected bytes follow the \(shapeText) array data")
        }
        images = ImageSet(height: 32, width: 32, channels: 3, pixels: Array(bytes[dataStart...]))
        formatVersion = header.version
        dtype = descr
    }
}

/// The header of a .npy file: the array's dtype, order and shape, and where its data start.
struct NpyHeader {
    var descr: String
    var fortranOrder: Bool
    var shape: [Int]
    var dataStart: Int
    /// The format version, e.g. "1.0".
    var version: String

    /// The shape as Python writes it: "(4434, 32, 32, 3)", "(10,)".
    var shapeText: String { "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? ",)" : ")") }

    /// Parses the header of the .npy file `bytes`; `path` only labels errors.
    init(bytes: [UInt8], path: String) throws {
        func corrupt(_ reason: String) -> DataSourceError { .corrupt(path: path, reason: reason) }
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 6, Array(bytes[0..<6]) == magic else {
            throw DataSourceError.unrecognizedFormat(path: path, reason: "not a .npy file (no \\x93NUMPY magic)")
        }
        guard bytes.count >= 10 else { throw corrupt("the .npy header is cut off") }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw corrupt("the .npy header is cut off") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw DataSourceError.unsupportedFormat(
                path: path, reason: ".npy format version \(major).\(minor) is not supported (expected 1.0, 2.0 or 3.0)")
        }
        guard headerLength <= bytes.count - headerStart else {
            throw corrupt("the .npy header declares \(headerLength) bytes but only \(bytes.count - headerStart) remain")
        }
        let headerBytes = bytes[headerStart..<(headerStart + headerLength)]
        guard let header = String(validating: headerBytes, as: UTF8.self) else {
            throw corrupt("the .npy header is not text")
        }
        let dict: [String: NpyHeaderValue]
        do {
            var parser = NpyHeaderParser(header)
            dict = try parser.parseDict()
        } catch let error as NpyHeaderParser.Failure {
            throw corrupt("cannot parse the .npy header \(header.trimmingTrailingWhitespace()): \(error.message)")
        }

        guard case .string(let descr)? = dict["descr"] else {
            if dict["descr"] != nil {
                throw DataSourceError.unsupportedFormat(
                    path: path, reason: "structured dtype is not supported; expected uint8 ('|u1')")
            }
            throw corrupt("the .npy header has no 'descr'")
        }
        guard case .bool(let fortranOrder)? = dict["fortran_order"] else {
            throw corrupt("the .npy header has no boolean 'fortran_order'")
        }
        guard case .tuple(let shape)? = dict["shape"] else {
            throw corrupt("the .npy header has no 'shape' tuple")
        }
        self.descr = descr
        self.fortranOrder = fortranOrder
        self.shape = shape
        dataStart = headerStart + headerLength
        version = "\(major).\(minor)"
    }
}

/// A value in a .npy header dictionary.
enum NpyHeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    case tuple([Int])
    case other(String)
}

/// A parser for the Python dict literal in a .npy header, e.g.
/// `{'descr': '|u1', 'fortran_order': False, 'shape': (4434, 32, 32, 3), }`.
struct NpyHeaderParser {
    struct Failure: Error { let message: String }

    private let chars: [Character]
    private var i = 0

    init(_ text: String) { chars = Array(text) }

    mutating func parseDict() throws -> [String: NpyHeaderValue] {
        skipSpace()
        try expect("{")
        var result: [String: NpyHeaderValue] = [:]
        while true {
            skipSpace()
            if peek() == "}" { i += 1; break }
            let key = try parseString()
            skipSpace()
            try expect(":")
            skipSpace()
            result[key] = try parseValue()
            skipSpace()
            if peek() == "," { i += 1; continue }
            skipSpace()
            try expect("}")
            break
        }
        skipSpace()
        guard i == chars.count else { throw Failure(message: "unexpected text after the dictionary") }
        return result
    }

    private mutating func parseValue() throws -> NpyHeaderValue {
        switch peek() {
        case "'", "\"":
            return .string(try parseString())
        case "(":
            i += 1
            var items: [Int] = []
            while true {
                skipSpace()
                if peek() == ")" { i += 1; break }
                items.append(try parseInt())
                skipSpace()
                if peek() == "," { i += 1; continue }
                try expect(")")
                break
            }
            return .tuple(items)
        case "[", "{":
            // A structured dtype (list of fields) or something else; keep it as text.
            let open = peek()!, close: Character = open == "[" ? "]" : "}"
            var depth = 0
            let start = i
            repeat {
                guard let c = peek() else { throw Failure(message: "unterminated \(open)") }
                if c == open { depth += 1 } else if c == close { depth -= 1 }
                i += 1
            } while depth > 0
            return .other(String(chars[start..<i]))
        default:
            let start = i
            while let c = peek(), c.isLetter || c.isNumber || c == "_" { i += 1 }
            let word = String(chars[start..<i])
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "": throw Failure(message: "expected a value at character \(i)")
            default: return .other(word)
            }
        }
    }

    private mutating func parseInt() throws -> Int {
        let start = i
        while let c = peek(), c.isASCII, c.isNumber { i += 1 }
        guard i > start, let value = Int(String(chars[start..<i])) else {
            throw Failure(message: "expected a non-negative integer at character \(start)")
        }
        if peek() == "L" { i += 1 }  // Python 2 long
        return value
    }

    private mutating func parseString() throws -> String {
        guard let quote = peek(), quote == "'" || quote == "\"" else {
            throw Failure(message: "expected a quoted string at character \(i)")
        }
        i += 1
        let start = i
        while let c = peek(), c != quote { i += 1 }
        guard peek() == quote else { throw Failure(message: "unterminated string") }
        let s = String(chars[start..<i])
        i += 1
        return s
    }

    private mutating func expect(_ c: Character) throws {
        guard peek() == c else {
            throw Failure(message: "expected '\(c)' at character \(i)")
        }
        i += 1
    }

    private func peek() -> Character? { i < chars.count ? chars[i] : nil }

    private mutating func skipSpace() {
        while let c = peek(), c.isWhitespace { i += 1 }
    }
}

extension String {
    /// The string without trailing spaces and newlines (.npy headers are space-padded).
    fileprivate func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
