/// The labels of an .npy image source (`npy:images.npy,labels=labels.npy`): an integer
/// array of shape (N,) or (N, 1) in C order, any byte order, one label per image; SVHN's
/// digits 0...9 (10 is read as 0, as in the MAT files).
public struct NpyLabels: Sendable {
    public let labels: [UInt8]
    /// The header's dtype string, e.g. "|u1".
    public let dtype: String

    public init(path: String) throws {
        try self.init(bytes: try DataSourceError.reading(path), path: path)
    }

    public init(bytes: [UInt8], path: String = "<memory>") throws {
        let header = try NpyHeader(bytes: bytes, path: path)
        let descr = header.descr
        let kind = descr.last { $0 == "i" || $0 == "u" }
        let order = descr.first.flatMap { "<>|=".contains($0) ? $0 : nil }
        let width = Int(String(descr.drop { "<>|=iu".contains($0) }))
        guard descr.count == (order == nil ? 2 : 3), let kind, let width, [1, 2, 4, 8].contains(width) else {
            throw DataSourceError.unsupportedFormat(path: path, reason:
                "labels of dtype '\(descr)' are not supported; expected integers ('|u1', '<i8', ...)")
        }
        let shape = header.shape
        guard (shape.count == 1 || (shape.count == 2 && shape[1] == 1)), !header.fortranOrder || shape.count == 1 else {
            throw DataSourceError.wrongShape(path: path, reason: "labels have shape \(header.shapeText), expected (N,)")
        }
        let count = shape[0]
        let available = bytes.count - header.dataStart
        guard count.multipliedReportingOverflow(by: width) == (available, false) else {
            throw DataSourceError.corrupt(path: path, reason:
                "labels of shape \(header.shapeText) need \(count) x \(width) bytes, \(available) follow the header")
        }
        let bigEndian = order == ">"
        labels = try (0 ..< count).map { i in
            var bits: UInt64 = 0
            for b in 0 ..< width {
                let byte = UInt64(bytes[header.dataStart + i * width + (bigEndian ? b : width - 1 - b)])
                bits = bits << 8 | byte
            }
            // Sign-extend signed values.
            let value = kind == "i" && width < 8 && bits >> (8 * width - 1) == 1
                ? Double(Int64(bitPattern: bits | ~((1 << (8 * UInt64(width))) - 1)))
                : kind == "i" ? Double(Int64(bitPattern: bits)) : Double(bits)
            guard let digit = DigitLabels.digit(value) else {
                throw DataSourceError.wrongShape(path: path, reason: "label \(i) is \(value), expected a digit 0...9 (or 10 for zero)")
            }
            return digit
        }
        dtype = descr
    }
}
