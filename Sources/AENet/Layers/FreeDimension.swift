/// A dimension of a nominal per-sample shape that a layer leaves free: it takes any
/// size there at call time (Keras's None; the summary prints it so).
public let anySize = -1

/// Whether two shapes can meet: the same rank, and each dimension equal or free in
/// either of them.
public func shapesFit(_ a: [Int], _ b: [Int]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || $0 == anySize || $1 == anySize }
}
