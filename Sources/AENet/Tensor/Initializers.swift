/// Keras's default initialisers: Glorot-uniform kernels, zero biases.
public enum Initializer {
    /// Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fanIn + fanOut)).
    /// Fans follow Keras: for a kernel of shape [..., a, b] the receptive field is
    /// the product of the leading dimensions, fanIn = a * field, fanOut = b * field.
    public static func glorotUniform(shape: [Int], rng: inout RandomGenerator) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let limit = (6.0 / Float(fanIn + fanOut)).squareRoot()
        var t = Tensor(zeros: shape)
        for i in 0..<t.count { t.data[i] = rng.nextFloat(in: -limit, limit) }
        return t
    }

    public static func fans(_ shape: [Int]) -> (Int, Int) {
        precondition(shape.count >= 2)
        let field = shape.dropLast(2).reduce(1, *)
        return (shape[shape.count - 2] * field, shape[shape.count - 1] * field)
    }
}
