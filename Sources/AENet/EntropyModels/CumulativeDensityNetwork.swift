import Foundation

/// The per-channel monotonic network of Balle et al. 2018 (appendix 6.1) that maps a value x to
/// the logit of its cumulative probability, as CompressAI's `_logits_cumulative`:
///
///     h_0 = x;   z_i = softplus(M_i) h_i + b_i;   h_{i+1} = z_i + tanh(a_i) * tanh(z_i);   logit = z_K
///
/// (no factor after the last layer). softplus keeps the matrices positive and |tanh(a_i)| < 1 keeps
/// each factor step increasing, so the logit increases with x: a valid cumulative distribution.
///
/// This is a snapshot of the parameters in Double (softplus and tanh applied once), evaluated one
/// value at a time: the network is tiny (widths 1-3-3-3-1 by default) and Double keeps the tails'
/// likelihoods and the exported pmfs accurate. Gradients accumulate in `CumulativeDensityGradients`.
/// Every layer's numbers sit one after another in flat arrays (`Layout`), read through pointers:
/// the prior evaluates this network twice per latent value, and nested arrays cost a reference
/// count per access there.
struct CumulativeDensityNetwork {
    let channels: Int
    /// Layer widths [1, filters..., 1].
    let widths: [Int]
    let layout: Layout
    /// softplus(matrix) of each layer, [channels, out, in] row-major from `layout.weightStart[i]`.
    let weights: [Double]
    /// Each layer's bias, [channels, out] from `layout.unitStart[i]`.
    let biases: [Double]
    /// tanh(factor) of each layer but the last, [channels, out] from `layout.unitStart[i]`.
    let factors: [Double]

    var layerCount: Int { widths.count - 1 }

    /// Where each layer starts in the flat arrays of the parameters and of a `Trace`.
    struct Layout {
        /// Per layer: first index of its [channels, out, in] weights.
        let weightStart: [Int]
        /// Per layer: first index of its [channels, out] biases (and factors).
        let unitStart: [Int]
        /// Per layer: first index of its input h_i (width in) in a trace's inputs.
        let inputStart: [Int]
        /// Per layer: first index of its output z_i (width out) in a trace's outputs.
        let outputStart: [Int]
        let weightCount: Int, unitCount: Int, factorCount: Int, inputCount: Int, outputCount: Int

        init(channels: Int, widths: [Int]) {
            var w = 0, u = 0, h = 0, z = 0
            var weightStart: [Int] = [], unitStart: [Int] = [], inputStart: [Int] = [], outputStart: [Int] = []
            for i in 0 ..< widths.count - 1 {
                weightStart.append(w); unitStart.append(u); inputStart.append(h); outputStart.append(z)
                w += channels * widths[i + 1] * widths[i]
                u += channels * widths[i + 1]
                h += widths[i]
                z += widths[i + 1]
            }
            (self.weightStart, self.unitStart, self.inputStart, self.outputStart) = (weightStart, unitStart, inputStart, outputStart)
            (weightCount, unitCount, inputCount, outputCount) = (w, u, h, z)
            factorCount = u - channels * widths[widths.count - 1]
        }
    }

    init(channels: Int, widths: [Int], matrices: [Tensor], biases: [Tensor], factors: [Tensor]) {
        self.channels = channels
        self.widths = widths
        layout = Layout(channels: channels, widths: widths)
        weights = matrices.flatMap { $0.data.map { Logistic.softplus(Double($0)) } }
        self.biases = biases.flatMap { $0.data.map(Double.init) }
        self.factors = factors.flatMap { $0.data.map { tanh(Double($0)) } }
        precondition(weights.count == layout.weightCount && self.biases.count == layout.unitCount
                     && self.factors.count == layout.factorCount, "density network: parameter sizes for widths \(widths)")
    }

    /// What `backward` needs from one evaluation: each layer's input h_i, output before the factor
    /// z_i and tanh(z_i); and room for the backward pass's gradients, so that no evaluation allocates.
    /// Flat, per `Layout`: inputs and their gradients at `inputStart`, the rest at `outputStart`.
    struct Trace {
        var inputs: [Double]
        var outputs: [Double]
        var tanhs: [Double]
        var gradInputs: [Double]
        var gradOutputs: [Double]
        init(layout: Layout) {
            inputs = [Double](repeating: 0, count: layout.inputCount)
            outputs = [Double](repeating: 0, count: layout.outputCount)
            tanhs = outputs
            gradInputs = inputs
            gradOutputs = outputs
        }
    }

    /// The cumulative logit of `x` under channel `c`'s network, recording the activations in `trace`.
    func logit(_ x: Double, channel c: Int, trace: inout Trace) -> Double {
        let layers = layerCount
        return withParameters { w, b, f in
            trace.inputs.withUnsafeMutableBufferPointer { h in
                trace.outputs.withUnsafeMutableBufferPointer { z in
                    trace.tanhs.withUnsafeMutableBufferPointer { t in
                        h[0] = x
                        for i in 0 ..< layers {
                            let (nIn, nOut) = (widths[i], widths[i + 1])
                            let (wi, ui) = (layout.weightStart[i], layout.unitStart[i])
                            let (hi, zi) = (layout.inputStart[i], layout.outputStart[i])
                            for o in 0 ..< nOut {
                                let row = wi + (c * nOut + o) * nIn
                                var sum = b[ui + c * nOut + o]
                                for j in 0 ..< nIn { sum += w[row + j] * h[hi + j] }
                                z[zi + o] = sum
                                if i + 1 < layers {
                                    let tz = tanh(sum)
                                    t[zi + o] = tz
                                    h[hi + nIn + o] = sum + f[ui + c * nOut + o] * tz
                                }
                            }
                        }
                        return z[layout.outputStart[layers - 1]]
                    }
                }
            }
        }
    }

    /// The cumulative logit of `x` under channel `c`'s network.
    func logit(_ x: Double, channel c: Int) -> Double {
        var trace = Trace(layout: layout)
        return logit(x, channel: c, trace: &trace)
    }

    /// Given dL/d(logit) at the evaluation recorded in `trace` (for channel `c`), adds dL/d(weights,
    /// biases, factors) into `gradients` and returns dL/dx.
    func backward(_ gradLogit: Double, channel c: Int, trace: inout Trace,
                  into gradients: inout CumulativeDensityGradients) -> Double {
        let layers = layerCount
        return withParameters { w, _, f in
            gradients.withBuffers { gw, gb, gf in
                trace.inputs.withUnsafeBufferPointer { h in
                    trace.tanhs.withUnsafeBufferPointer { t in
                        trace.gradInputs.withUnsafeMutableBufferPointer { gh in
                            trace.gradOutputs.withUnsafeMutableBufferPointer { gz in
                                for i in stride(from: layers - 1, through: 0, by: -1) {
                                    let (nIn, nOut) = (widths[i], widths[i + 1])
                                    let (wi, ui) = (layout.weightStart[i], layout.unitStart[i])
                                    let (hi, zi) = (layout.inputStart[i], layout.outputStart[i])
                                    // dL/dz_i from dL/d(layer output): h_{i+1} (the next layer's input gradient), or the logit.
                                    if i + 1 < layers {
                                        for o in 0 ..< nOut {
                                            let k = ui + c * nOut + o, upstream = gh[hi + nIn + o]
                                            let tz = t[zi + o]
                                            gf[k] += upstream * tz
                                            gz[zi + o] = upstream * (1 + f[k] * (1 - tz * tz))
                                        }
                                    } else {
                                        gz[zi] = gradLogit
                                    }
                                    for j in 0 ..< nIn { gh[hi + j] = 0 }
                                    for o in 0 ..< nOut {
                                        let row = wi + (c * nOut + o) * nIn, gradZ = gz[zi + o]
                                        gb[ui + c * nOut + o] += gradZ
                                        for j in 0 ..< nIn {
                                            gw[row + j] += gradZ * h[hi + j]
                                            gh[hi + j] += w[row + j] * gradZ
                                        }
                                    }
                                }
                                return gh[0]
                            }
                        }
                    }
                }
            }
        }
    }

    /// Only dL/dx, for a value that gets no parameter gradient (the auxiliary loss's quantiles).
    func derivative(at x: Double, channel c: Int) -> Double {
        var trace = Trace(layout: layout)
        _ = logit(x, channel: c, trace: &trace)
        var unused = CumulativeDensityGradients(like: self)
        return backward(1, channel: c, trace: &trace, into: &unused)
    }

    /// `body` with pointers to the weights, biases and factors.
    private func withParameters<R>(_ body: (UnsafeBufferPointer<Double>, UnsafeBufferPointer<Double>,
                                            UnsafeBufferPointer<Double>) -> R) -> R {
        weights.withUnsafeBufferPointer { w in
            biases.withUnsafeBufferPointer { b in
                factors.withUnsafeBufferPointer { f in body(w, b, f) }
            }
        }
    }
}

/// Gradients with respect to the network's effective weights (softplus(M)), biases and factors
/// (tanh(a)), in Double, flat as the network's (`CumulativeDensityNetwork.Layout`); `addTo` turns
/// them into gradients of the raw parameters.
struct CumulativeDensityGradients {
    let layout: CumulativeDensityNetwork.Layout
    var weights: [Double]
    var biases: [Double]
    var factors: [Double]

    init(like network: CumulativeDensityNetwork) {
        layout = network.layout
        weights = [Double](repeating: 0, count: network.weights.count)
        biases = [Double](repeating: 0, count: network.biases.count)
        factors = [Double](repeating: 0, count: network.factors.count)
    }

    /// `body` with pointers to the weight, bias and factor gradients.
    mutating func withBuffers<R>(_ body: (UnsafeMutableBufferPointer<Double>, UnsafeMutableBufferPointer<Double>,
                                          UnsafeMutableBufferPointer<Double>) -> R) -> R {
        weights.withUnsafeMutableBufferPointer { w in
            biases.withUnsafeMutableBufferPointer { b in
                factors.withUnsafeMutableBufferPointer { f in body(w, b, f) }
            }
        }
    }

    /// Adds another accumulator's gradients (chunks of a batch, summed in order).
    mutating func add(_ other: CumulativeDensityGradients) {
        for k in weights.indices { weights[k] += other.weights[k] }
        for k in biases.indices { biases[k] += other.biases[k] }
        for k in factors.indices { factors[k] += other.factors[k] }
    }

    /// Adds the chain rule through softplus (derivative sigmoid(M)) and tanh (1 - tanh(a)^2) into
    /// the parameters' gradients.
    func addTo(matrices: [Parameter], biases biasParameters: [Parameter], factors factorParameters: [Parameter]) {
        for (i, p) in matrices.enumerated() {
            let start = layout.weightStart[i]
            for k in 0 ..< p.value.count {
                p.grad.data[k] += Float(weights[start + k] * Logistic.sigmoid(Double(p.value.data[k])))
            }
        }
        for (i, p) in biasParameters.enumerated() {
            let start = layout.unitStart[i]
            for k in 0 ..< p.value.count { p.grad.data[k] += Float(biases[start + k]) }
        }
        for (i, p) in factorParameters.enumerated() {
            let start = layout.unitStart[i]
            for k in 0 ..< p.value.count {
                let t = tanh(Double(p.value.data[k]))
                p.grad.data[k] += Float(factors[start + k] * (1 - t * t))
            }
        }
    }
}

/// The logistic function and its integral, in Double, for the entropy models.
enum Logistic {
    /// 1 / (1 + e^-x), without overflow for very negative x.
    static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }

    /// log(1 + e^x) (its derivative is sigmoid), without overflow for large x.
    static func softplus(_ x: Double) -> Double {
        x > 30 ? x : log1p(exp(x))
    }
}
