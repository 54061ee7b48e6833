import AEFormats
/// One digit bounding box of an SVHN "format 1" photo, a row of `digit_boxes.csv`:
/// `split,image,digit,label,left,top,width,height,image_width,image_height`.
public struct SVHNDigitBox: Equatable, Sendable {
    /// "train" or "test".
    public var split: String
    /// Photo number (1-based): the file is `<split>/<image>.png`.
    public var image: Int
    /// Position of the digit in the photo's annotation (1-based).
    public var digit: Int
    /// Digit value 0...9.
    public var label: Int
    /// Box corner, 0-based pixel indices (may be slightly outside the photo).
    public var left: Int
    public var top: Int
    public var width: Int
    public var height: Int
    /// The photo's size as the annotation records it.
    public var imageWidth: Int
    public var imageHeight: Int

    public init(split: String, image: Int, digit: Int, label: Int, left: Int, top: Int,
                width: Int, height: Int, imageWidth: Int, imageHeight: Int) {
        self.split = split
        self.image = image
        self.digit = digit
        self.label = label
        self.left = left
        self.top = top
        self.width = width
        self.height = height
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
    }
}

/// Parser for `digit_boxes.csv` (see the SVHN README, section 1).
public enum SVHNDigitBoxes {
    /// The columns, by header name (any order; extra columns are ignored).
    public static let columns = ["split", "image", "digit", "label", "left", "top",
                                 "width", "height", "image_width", "image_height"]

    /// All rows of the CSV text, in file order. `path` labels errors.
    public static func parse(_ text: String, path: String) throws -> [SVHNDigitBox] {
        func corrupt(_ line: Int, _ reason: String) -> DataSourceError {
            .corrupt(path: path, reason: "line \(line): \(reason)")
        }
        // "\r\n" is a single Character in Swift, so split on any newline character.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        while let last = lines.last, last.allSatisfy({ $0 == " " }) { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw DataSourceError.emptyDataSet(path: path, reason: "the CSV file is empty")
        }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmed(" \u{FEFF}") }
        var index: [String: Int] = [:]
        for name in columns {
            guard let i = header.firstIndex(of: name) else {
                throw DataSourceError.unrecognizedFormat(
                    path: path, reason: "not an SVHN digit_boxes.csv: no column '\(name)' in the header")
            }
            index[name] = i
        }
        var boxes: [SVHNDigitBox] = []
        for (n, line) in lines.enumerated().dropFirst() {
            let lineNumber = n + 1
            if line.allSatisfy({ $0 == " " }) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmed(" ") }
            guard fields.count >= header.count else {
                throw corrupt(lineNumber, "\(fields.count) fields, expected \(header.count)")
            }
            func int(_ name: String) throws -> Int {
                let text = fields[index[name]!]
                guard let v = Int(text) else { throw corrupt(lineNumber, "\(name) '\(text)' is not an integer") }
                return v
            }
            let box = SVHNDigitBox(
                split: fields[index["split"]!], image: try int("image"), digit: try int("digit"),
                label: try int("label"), left: try int("left"), top: try int("top"),
                width: try int("width"), height: try int("height"),
                imageWidth: try int("image_width"), imageHeight: try int("image_height"))
            guard box.image >= 1 else { throw corrupt(lineNumber, "image number \(box.image) is not positive") }
            guard box.width > 0 && box.height > 0 else {
                throw corrupt(lineNumber, "box size \(box.width)x\(box.height) is not positive")
            }
            guard box.imageWidth > 0 && box.imageHeight > 0 else {
                throw corrupt(lineNumber, "photo size \(box.imageWidth)x\(box.imageHeight) is not positive")
            }
            boxes.append(box)
        }
        return boxes
    }
}

extension Substring {
    /// The text without leading and trailing characters from `set`.
    fileprivate func trimmed(_ set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
