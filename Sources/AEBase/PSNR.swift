import Foundation

/// Peak signal-to-noise ratio of a mean squared error on pixels scaled to [0, 1].
public enum PSNR {
    /// 10 log10(1 / mse) in dB; infinite for a perfect match.
    public static func decibels(mse: Double) -> Double { mse > 0 ? 10 * log10(1 / mse) : .infinity }
}
