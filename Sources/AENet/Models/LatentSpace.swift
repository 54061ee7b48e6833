import Foundation

/// Points in a latent space: draws from a variational model's prior N(0, I), and paths
/// between two latents for interpolation pictures.
public enum LatentSpace {
    /// `count` draws from N(0, I) in `dimensions`, [count, dimensions], a pure function of
    /// the seed (row by row, dimension by dimension).
    public static func priorDraws(count: Int, dimensions: Int, seed: UInt64) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        var z = Tensor(zeros: [count, dimensions])
        for i in 0 ..< z.count { z.data[i] = rng.nextGaussian() }
        return z
    }

    /// `steps` points (2 or more, both ends included) on the straight line from `a` to `b`.
    public static func linearPath(from a: [Float], to b: [Float], steps: Int) -> Tensor {
        path(a, b, steps) { t in (Double(1 - t), Double(t)) }
    }

    /// `steps` points (both ends included) along the great circle from `a` to `b`
    /// (spherical interpolation, White 2016): z(t) = sin((1-t) w)/sin w a + sin(t w)/sin w b,
    /// w the angle between them. Under a standard normal prior the points keep a typical
    /// norm, where the straight line's middle falls toward the origin, which the prior
    /// makes rare. Nearly parallel vectors fall back to the straight line.
    public static func greatCirclePath(from a: [Float], to b: [Float], steps: Int) -> Tensor {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let na = a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let nb = b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let omega = acos(max(-1, min(1, dot / max(na * nb, 1e-30))))
        guard sin(omega) > 1e-6 else { return linearPath(from: a, to: b, steps: steps) }
        return path(a, b, steps) { t in (sin((1 - Double(t)) * omega) / sin(omega), sin(Double(t) * omega) / sin(omega)) }
    }

    /// Points weight.0 * a + weight.1 * b for t = 0, 1/(steps-1), ..., 1.
    private static func path(_ a: [Float], _ b: [Float], _ steps: Int, weights: (Float) -> (Double, Double)) -> Tensor {
        precondition(a.count == b.count && steps >= 2, "two latents of one size, at least two steps")
        var out = Tensor(zeros: [steps, a.count])
        for s in 0 ..< steps {
            let (wa, wb) = weights(Float(s) / Float(steps - 1))
            for d in 0 ..< a.count {
                out.data[s * a.count + d] = Float(wa * Double(a[d]) + wb * Double(b[d]))
            }
        }
        // The ends are the given latents exactly.
        out.data.replaceSubrange(0 ..< a.count, with: a)
        out.data.replaceSubrange(((steps - 1) * a.count) ..< (steps * a.count), with: b)
        return out
    }
}
