import Foundation

/// The reparametrisation that keeps GDN's beta and gamma non-negative while they
/// train (tensorflow-compression's and CompressAI's): the parameter stores p, the
/// layer uses
///
///     value = max(p, bound)^2 - pedestal,  pedestal = offset^2,  bound = sqrt(minimum + pedestal)
///
/// so value >= minimum. The max is CompressAI's `LowerBound`: its gradient passes
/// straight through where p >= bound, and also below the bound when the gradient
/// would push p up (descent moves it back towards the bound); elsewhere it is zero.
public struct NonNegativeParametrization: Sendable, Equatable {
    /// The smallest value the parameter takes.
    public let minimum: Float
    /// CompressAI's and tensorflow-compression's reparam_offset (2^-18).
    public let offset: Float
    public let pedestal: Float
    public let bound: Float

    public init(minimum: Float = 0, offset: Float = 0x1p-18) {
        self.minimum = minimum
        self.offset = offset
        pedestal = offset * offset
        bound = Float((Double(minimum) + Double(offset) * Double(offset)).squareRoot())
    }

    /// The stored p for a wanted value (values below the minimum store the bound's p).
    public func stored(_ value: Float) -> Float {
        max(value + pedestal, pedestal).squareRoot()
    }

    /// The value the layer uses for stored p.
    public func value(_ stored: Float) -> Float {
        let b = max(stored, bound)
        return b * b - pedestal
    }

    /// dL/dp from dL/d(value).
    public func gradient(stored: Float, valueGradient: Float) -> Float {
        let g = valueGradient * 2 * max(stored, bound)
        return stored >= bound || g < 0 ? g : 0
    }
}
