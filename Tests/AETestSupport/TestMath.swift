/// Comparisons of float arrays for the tests.
public enum TestMath {
    /// Largest absolute difference between two arrays of the same length.
    public static func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) values against \(b.count)")
        return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }
}
