/// Class labels of labelled image sets. SVHN's files write the digit zero as 10 (the
/// official MAT files: labels 1...10) or as 0 (the .npy copies: 0...9); both become
/// the digit, 0...9.
public enum DigitLabels {
    /// Classes a label can name: the ten digits.
    public static let classCount = 10

    /// The digit a stored label value names, or nil for a value that names none.
    public static func digit(_ value: Double) -> UInt8? {
        guard value == value.rounded(), value >= 0, value <= 10 else { return nil }
        return UInt8(Int(value) % 10)
    }
}
