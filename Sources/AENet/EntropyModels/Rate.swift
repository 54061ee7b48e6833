import Foundation

/// The rate of an entropy model's likelihoods: the ideal code length, -sum(log2 likelihood) bits.
public enum Rate {
    public static func bits(likelihoods: Tensor) -> Double {
        likelihoods.data.reduce(0) { $0 - log2(Double($1)) }
    }

    /// The bits and their gradient with respect to each likelihood, -1 / (likelihood ln 2).
    public static func bitsAndGradient(likelihoods: Tensor) -> (bits: Double, gradient: Tensor) {
        var gradient = Tensor(zeros: likelihoods.shape)
        for i in 0 ..< likelihoods.count {
            gradient.data[i] = Float(-1 / (Double(likelihoods.data[i]) * M_LN2))
        }
        return (bits(likelihoods: likelihoods), gradient)
    }
}
