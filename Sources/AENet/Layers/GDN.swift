/// Generalized divisive normalization (Balle, Laparra and Simoncelli 2016) and its
/// inverse, over the last axis (channels) of any per-sample shape:
///
///     GDN:  y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)
///     IGDN: y_i = x_i * sqrt(beta_i + sum_j gamma_ij x_j^2)
///
/// beta [C] and gamma [C, C] (row i: the weights of channel i's normaliser, as
/// CompressAI's 1x1 convolution applies them) are stored reparametrised by
/// `NonNegativeParametrization` (beta >= 1e-6, gamma >= 0), initially beta = 1 and
/// gamma = 0.1 I, as in tensorflow-compression and CompressAI.
///
/// Per chunk of pixels the normaliser is one sgemm: norm = x^2 * gamma^T + beta.
/// With r = sqrt(norm), t_i = g_i x_i / r_i^3 (GDN) or g_i x_i / r_i (IGDN), the
/// backward pass is dx = g / r - x (t * gamma) (GDN) or g r + x (t * gamma) (IGDN),
/// dgamma = -/+ 1/2 t^T x^2 and dbeta = -/+ 1/2 sum t, then through the reparametrisation.
public final class GDN: Layer {
    public let name: String
    public let inverse: Bool
    public let channels: Int
    public let beta: Parameter
    public let gamma: Parameter
    public static let betaParametrization = NonNegativeParametrization(minimum: 1e-6)
    public static let gammaParametrization = NonNegativeParametrization()
    private let parallelism: Parallelism
    private let scratch: WorkerScratch
    private enum Slot: Int { case squares = 0, t, gammaGradient, betaGradient }
    private var savedInput = Tensor(zeros: [0])
    /// sqrt(norm) per value of the last forward pass, reused between calls.
    private let savedRoot = ScratchBuffer()
    /// beta and gamma as the layer uses them, from the stored parameters.
    private var betaValue: [Float] = []
    private var gammaValue: [Float] = []

    public var kind: String { inverse ? "IGDN" : "GDN" }
    public var inputShape: [Int] { [anySize, anySize, channels] }
    public var outputShape: [Int] { inputShape }
    public var parameters: [Parameter] { [beta, gamma] }
    /// Floats of scratch memory held between calls.
    var scratchCapacity: Int { scratch.capacity + savedRoot.capacity }

    public init(name: String, channels: Int, inverse: Bool = false, gammaInit: Float = 0.1,
                parallelism: Parallelism = Parallelism(threads: 1)) {
        precondition(channels > 0, "\(name): channels must be positive")
        self.name = name
        self.inverse = inverse
        self.channels = channels
        self.parallelism = parallelism
        scratch = WorkerScratch(workers: parallelism.threads, buffersPerWorker: 4)
        let (bp, gp) = (GDN.betaParametrization, GDN.gammaParametrization)
        beta = Parameter(name: "\(name)/beta",
                         value: Tensor(shape: [channels], data: [Float](repeating: bp.stored(1), count: channels)))
        var g = Tensor(shape: [channels, channels], data: [Float](repeating: gp.stored(0), count: channels * channels))
        for i in 0..<channels { g.data[i * channels + i] = gp.stored(gammaInit) }
        gamma = Parameter(name: "\(name)/gamma", value: g)
    }

    /// Any shape whose last axis holds the channels.
    public func outputShape(for inputShape: [Int]) -> [Int]? {
        inputShape.last == channels && inputShape.allSatisfy({ $0 > 0 }) ? inputShape : nil
    }

    /// Pixels per sgemm.
    private let chunk = 1024

    public func forward(_ input: Tensor) -> Tensor {
        precondition(input.rank >= 2 && outputShape(for: Array(input.shape.dropFirst())) != nil,
                     "\(name): cannot take input shape \(input.shape)")
        betaValue = beta.value.data.map(GDN.betaParametrization.value)
        gammaValue = gamma.value.data.map(GDN.gammaParametrization.value)
        let c = channels, pixels = input.count / c
        // Pixels per image row (rank 4: [batch, height, width, channels]), for row-aligned chunks.
        let width = input.rank >= 4 ? input.shape[input.rank - 2] : pixels
        let root = savedRoot.reserve(input.count)
        let output = Tensor(uninitializedShape: input.shape) { out in
            input.data.withUnsafeBufferPointer { xb in
                betaValue.withUnsafeBufferPointer { b in
                    gammaValue.withUnsafeBufferPointer { gm in
                        parallelism.forEachChunk(rows: pixels / width, width: width, chunk: self.chunk) { range, worker in
                            let u = self.scratch.buffer(Slot.squares.rawValue, worker: worker).reserve(self.chunk * c)
                            let m = range.count, offset = range.lowerBound * c
                            let x = xb.baseAddress! + offset, r = root + offset, y = out.baseAddress! + offset
                            for i in 0..<(m * c) { u[i] = x[i] * x[i] }
                            for row in 0..<m { (r + row * c).update(from: b.baseAddress!, count: c) }
                            // norm[p, i] = beta_i + sum_j x[p, j]^2 gamma[i, j]
                            sgemm(transB: true, m: m, n: c, k: c, a: u, lda: c, b: gm.baseAddress!, ldb: c,
                                  beta: 1, c: r, ldc: c)
                            for i in 0..<(m * c) { r[i] = r[i].squareRoot() }
                            if self.inverse {
                                for i in 0..<(m * c) { y[i] = x[i] * r[i] }
                            } else {
                                for i in 0..<(m * c) { y[i] = x[i] / r[i] }
                            }
                        }
                    }
                }
            }
        }
        savedInput = input
        return output
    }

    public func forgetForwardPass() {
        savedInput = Tensor(zeros: [0])
    }

    public func backward(_ gradOutput: Tensor, needInputGradient: Bool) -> Tensor {
        precondition(gradOutput.shape == savedInput.shape, "\(name): gradient shape \(gradOutput.shape)")
        let c = channels, pixels = savedInput.count / c
        let root = UnsafePointer(savedRoot.pointer)
        var gradInput = needInputGradient ? Tensor(uninitializedShape: savedInput.shape) { _ in } : Tensor(zeros: [0])
        savedInput.data.withUnsafeBufferPointer { xb in
            gradOutput.data.withUnsafeBufferPointer { gb in
                gradInput.data.withUnsafeMutableBufferPointer { gxb in
                    gammaValue.withUnsafeBufferPointer { gm in
                        parallelism.forEachRange(pixels) { range, worker in
                            let u = self.scratch.buffer(Slot.squares.rawValue, worker: worker).reserve(self.chunk * c)
                            let t = self.scratch.buffer(Slot.t.rawValue, worker: worker).reserve(self.chunk * c)
                            let dGamma = self.scratch.buffer(Slot.gammaGradient.rawValue, worker: worker).reserve(c * c)
                            let dBeta = self.scratch.buffer(Slot.betaGradient.rawValue, worker: worker).reserve(c)
                            dGamma.update(repeating: 0, count: c * c)
                            dBeta.update(repeating: 0, count: c)
                            var p = range.lowerBound
                            while p < range.upperBound {
                                let m = min(self.chunk, range.upperBound - p), offset = p * c
                                let x = xb.baseAddress! + offset, g = gb.baseAddress! + offset, r = root + offset
                                for i in 0..<(m * c) { u[i] = x[i] * x[i] }
                                if self.inverse {
                                    for i in 0..<(m * c) { t[i] = g[i] * x[i] / r[i] }
                                } else {
                                    for i in 0..<(m * c) { t[i] = g[i] * x[i] / (r[i] * r[i] * r[i]) }
                                }
                                for row in 0..<m { for i in 0..<c { dBeta[i] += t[row * c + i] } }
                                // dgamma[i, j] += sum over pixels of t[p, i] x[p, j]^2
                                sgemm(transA: true, m: c, n: c, k: m, a: t, lda: c, b: u, ldb: c,
                                      beta: 1, c: dGamma, ldc: c)
                                if needInputGradient {
                                    // (t * gamma)[p, k] = sum_i t[p, i] gamma[i, k], into dx, then the rest.
                                    let dx = gxb.baseAddress! + offset
                                    sgemm(m: m, n: c, k: c, a: t, lda: c, b: gm.baseAddress!, ldb: c,
                                          beta: 0, c: dx, ldc: c)
                                    if self.inverse {
                                        for i in 0..<(m * c) { dx[i] = g[i] * r[i] + x[i] * dx[i] }
                                    } else {
                                        for i in 0..<(m * c) { dx[i] = g[i] / r[i] - x[i] * dx[i] }
                                    }
                                }
                                p += m
                            }
                        }
                    }
                }
            }
        }
        // Reduce the workers' partial sums in a fixed order, then d/d(value) -> d/d(stored).
        let scale: Float = inverse ? 0.5 : -0.5
        var dGamma = [Float](repeating: 0, count: c * c), dBeta = [Float](repeating: 0, count: c)
        for worker in 0..<min(parallelism.threads, pixels) {
            let pg = scratch.buffer(Slot.gammaGradient.rawValue, worker: worker).pointer
            let pb = scratch.buffer(Slot.betaGradient.rawValue, worker: worker).pointer
            for i in 0..<(c * c) { dGamma[i] += pg[i] }
            for i in 0..<c { dBeta[i] += pb[i] }
        }
        for i in 0..<(c * c) {
            gamma.grad.data[i] += GDN.gammaParametrization.gradient(stored: gamma.value.data[i],
                                                                    valueGradient: scale * dGamma[i])
        }
        for i in 0..<c {
            beta.grad.data[i] += GDN.betaParametrization.gradient(stored: beta.value.data[i],
                                                                  valueGradient: scale * dBeta[i])
        }
        return gradInput
    }
}
