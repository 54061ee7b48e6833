import Foundation

/// The geometric mean over the images of a batch of each image's mean squared error:
/// G = exp(mean over images i of ln(mse_i + floor)), with mse_i the mean of
/// (prediction - target)^2 over image i's values.
///
/// Minimising it maximises the mean of the images' PSNRs (10 log10(1 / mse_i) averages
/// to 10 log10(1 / G)), the figure codecs are compared by (CompressAI reports it too),
/// where the plain MSE favours the images with the largest errors. G is in the units of
/// an MSE, so a rate-distortion lambda means about the same with either.
/// dG/dprediction = G / (N * (mse_i + floor)) * 2 (prediction - target) / valuesPerImage.
public enum GeometricMeanSquaredError {
    /// Keeps the logarithm finite for a perfect image (1e-10 is a PSNR of 100 dB).
    public static let floor = 1e-10

    public static func loss(prediction: Tensor, target: Tensor) -> Float {
        lossAndGradient(prediction: prediction, target: target, wantGradient: false).loss
    }

    public static func lossAndGradient(prediction: Tensor, target: Tensor,
                                       wantGradient: Bool = true) -> (loss: Float, gradient: Tensor) {
        precondition(prediction.shape == target.shape,
                     "geometric MSE shapes differ: \(prediction.shape) vs \(target.shape)")
        let images = max(prediction.batch, 1)
        let values = prediction.count / images
        var perImage = [Double](repeating: 0, count: images)
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                for i in 0..<images {
                    var sum: Double = 0
                    for k in (i * values)..<((i + 1) * values) {
                        let d = p[k] - t[k]
                        sum += Double(d * d)
                    }
                    perImage[i] = sum / Double(max(values, 1)) + floor
                }
            }
        }
        let g = exp(perImage.reduce(0) { $0 + log($1) } / Double(images))
        var grad = Tensor(zeros: wantGradient ? prediction.shape : [0])
        if wantGradient {
            prediction.data.withUnsafeBufferPointer { p in
                target.data.withUnsafeBufferPointer { t in
                    grad.data.withUnsafeMutableBufferPointer { out in
                        for i in 0..<images {
                            let scale = Float(g / (Double(images) * perImage[i]) * 2 / Double(values))
                            for k in (i * values)..<((i + 1) * values) { out[k] = scale * (p[k] - t[k]) }
                        }
                    }
                }
            }
        }
        return (Float(g), grad)
    }
}
