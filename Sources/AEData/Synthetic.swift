import AEFormats
import AENet

/// A built-in generator of synthetic RGB images, for demos and tests: no files needed.
///
/// Each image is a smooth two-colour gradient (linear or radial) with one to three
/// antialiased shapes on top: filled discs, rectangles, sinusoidal stripes, and
/// seven-segment "digit" strokes (slanted, thick, in a contrasting colour, like a
/// house number), plus faint noise on some images. Image i depends only on
/// (seed, i), so any prefix of a larger set is the smaller set.
public enum SyntheticImages {
    /// `count` images of `size` x `size` x 3.
    public static func generate(count: Int, seed: UInt64 = 0, size: Int = 32,
                                threads: Int = Parallelism.availableCores) -> ImageSet {
        precondition(count >= 0 && size > 0)
        let imageSize = size * size * 3
        var pixels = [UInt8](repeating: 0, count: count * imageSize)
        pixels.withUnsafeMutableBufferPointer { out in
            Parallelism(threads: threads).forEachRange(count) { range, _ in
                for i in range {
                    var rng = RandomGenerator(seed: DataSeed.derive(seed, stream: DataSeed.synthetic, index: i))
                    render(size: size, rng: &rng, into: out.baseAddress! + i * imageSize)
                }
            }
        }
        return ImageSet(height: size, width: size, channels: 3, pixels: pixels)
    }

    private typealias RGB = SIMD3<Float>

    private static func color(_ rng: inout RandomGenerator) -> RGB {
        RGB(rng.nextUnitFloat(), rng.nextUnitFloat(), rng.nextUnitFloat())
    }

    /// A colour far from `other` (at least about 0.45 apart), for readable strokes.
    private static func contrasting(_ other: RGB, _ rng: inout RandomGenerator) -> RGB {
        var best = color(&rng)
        for _ in 0..<8 {
            let d = best - other
            if (d * d).sum() > 0.2 { break }
            best = color(&rng)
        }
        return best
    }

    /// Coverage of a shape with signed distance `d` (pixels, negative inside), 1-pixel antialiasing.
    private static func coverage(_ d: Float) -> Float { min(1, max(0, 0.5 - d)) }

    private static func segmentDistance(_ px: Float, _ py: Float, _ ax: Float, _ ay: Float,
                                        _ bx: Float, _ by: Float) -> Float {
        let vx = bx - ax, vy = by - ay
        let wx = px - ax, wy = py - ay
        let len2 = vx * vx + vy * vy
        let t = len2 > 0 ? min(1, max(0, (wx * vx + wy * vy) / len2)) : 0
        let dx = wx - t * vx, dy = wy - t * vy
        return (dx * dx + dy * dy).squareRoot()
    }

    /// Seven-segment digits: segments a b c d e f g as (x0, y0, x1, y1) in a 1 x 2 box.
    private static let segments: [(Float, Float, Float, Float)] = [
        (0, 0, 1, 0), (1, 0, 1, 1), (1, 1, 1, 2), (0, 2, 1, 2), (0, 1, 0, 2), (0, 0, 0, 1), (0, 1, 1, 1),
    ]
    private static let digitSegments: [[Int]] = [
        [0, 1, 2, 3, 4, 5], [1, 2], [0, 1, 6, 4, 3], [0, 1, 6, 2, 3], [5, 6, 1, 2],
        [0, 5, 6, 2, 3], [0, 5, 6, 4, 3, 2], [0, 1, 2], [0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 5, 6],
    ]

    private enum Shape {
        case disc(cx: Float, cy: Float, r: Float)
        case rect(x0: Float, y0: Float, x1: Float, y1: Float)
        case stripes(nx: Float, ny: Float, period: Float, phase: Float, strength: Float)
        case digit(lines: [(Float, Float, Float, Float)], halfWidth: Float)
    }

    private static func render(size: Int, rng: inout RandomGenerator, into out: UnsafeMutablePointer<UInt8>) {
        let s = Float(size)
        // Background gradient.
        let c0 = color(&rng), c1 = color(&rng)
        let radial = rng.nextInt(below: 3) == 0
        let angle = rng.nextFloat(in: 0, 2 * Float.pi)
        let (gx, gy) = (cosf(angle), sinf(angle))
        let (rcx, rcy) = (rng.nextFloat(in: 0, s), rng.nextFloat(in: 0, s))

        var shapes: [(Shape, RGB)] = []
        let shapeCount = 1 + rng.nextInt(below: 3)
        for _ in 0..<shapeCount {
            let kind = rng.nextInt(below: 4)
            switch kind {
            case 0:
                shapes.append((.disc(cx: rng.nextFloat(in: 0.2 * s, 0.8 * s), cy: rng.nextFloat(in: 0.2 * s, 0.8 * s),
                                     r: rng.nextFloat(in: 0.08 * s, 0.3 * s)), color(&rng)))
            case 1:
                let x0 = rng.nextFloat(in: 0, 0.7 * s), y0 = rng.nextFloat(in: 0, 0.7 * s)
                shapes.append((.rect(x0: x0, y0: y0, x1: x0 + rng.nextFloat(in: 0.15 * s, 0.5 * s),
                                     y1: y0 + rng.nextFloat(in: 0.15 * s, 0.5 * s)), color(&rng)))
            case 2:
                let a = rng.nextFloat(in: 0, Float.pi)
                shapes.append((.stripes(nx: cosf(a), ny: sinf(a), period: rng.nextFloat(in: 0.12 * s, 0.4 * s),
                                        phase: rng.nextFloat(in: 0, 2 * Float.pi),
                                        strength: rng.nextFloat(in: 0.3, 0.7)), color(&rng)))
            default:
                let digit = rng.nextInt(below: 10)
                let unit = rng.nextFloat(in: 0.17 * s, 0.3 * s)  // box is unit wide, 2 units tall
                let slant = rng.nextFloat(in: -0.25, 0.25)
                let cx = rng.nextFloat(in: 0.35 * s, 0.65 * s), cy = rng.nextFloat(in: 0.4 * s, 0.6 * s)
                let lines = digitSegments[digit].map { k -> (Float, Float, Float, Float) in
                    let (ax, ay, bx, by) = segments[k]
                    func place(_ x: Float, _ y: Float) -> (Float, Float) {
                        let py = cy + (y - 1) * unit
                        return (cx + (x - 0.5) * unit - slant * (y - 1) * unit, py)
                    }
                    let a = place(ax, ay), b = place(bx, by)
                    return (a.0, a.1, b.0, b.1)
                }
                let background = (c0 + c1) * 0.5
                shapes.append((.digit(lines: lines, halfWidth: rng.nextFloat(in: 0.05 * s, 0.09 * s)),
                               contrasting(background, &rng)))
            }
        }
        let noise = rng.nextInt(below: 2) == 0 ? rng.nextFloat(in: 0, 0.02) : 0

        for y in 0..<size {
            for x in 0..<size {
                let px = Float(x) + 0.5, py = Float(y) + 0.5
                var t: Float
                if radial {
                    let dx = px - rcx, dy = py - rcy
                    t = min(1, (dx * dx + dy * dy).squareRoot() / s)
                } else {
                    t = min(1, max(0, ((px - s / 2) * gx + (py - s / 2) * gy) / s + 0.5))
                }
                var v = c0 + (c1 - c0) * t
                for (shape, c) in shapes {
                    let alpha: Float
                    switch shape {
                    case .disc(let cx, let cy, let r):
                        let dx = px - cx, dy = py - cy
                        alpha = coverage((dx * dx + dy * dy).squareRoot() - r)
                    case .rect(let x0, let y0, let x1, let y1):
                        alpha = coverage(max(x0 - px, px - x1, y0 - py, py - y1))
                    case .stripes(let nx, let ny, let period, let phase, let strength):
                        let u = (px * nx + py * ny) / period * 2 * Float.pi + phase
                        alpha = strength * (0.5 + 0.5 * sinf(u))
                    case .digit(let lines, let halfWidth):
                        var d = Float.infinity
                        for l in lines { d = min(d, segmentDistance(px, py, l.0, l.1, l.2, l.3)) }
                        alpha = coverage(d - halfWidth)
                    }
                    v = v + (c - v) * alpha
                }
                if noise > 0 {
                    v += RGB(rng.nextFloat(in: -noise, noise), rng.nextFloat(in: -noise, noise),
                             rng.nextFloat(in: -noise, noise))
                }
                let o = out + (y * size + x) * 3
                for c in 0..<3 {
                    o[c] = UInt8(min(255, max(0, (v[c] * 255 + 0.5).rounded(.down))))
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
