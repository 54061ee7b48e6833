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
struct CumulativeDensityNetwork {
    let channels: Int
    /// Layer widths [1, filters..., 1].
    let widths: [Int]
    /// Per layer, softplus(matrix): [channels, out, in] row-major.
    let weights: [[Double]]
    /// Per layer: [channels, out].
    let biases: [[Double]]
    /// Per layer but the last, tanh(factor): [channels, out].
    let factors: [[Double]]

    var layerCount: Int { widths.count - 1 }

    init(channels: Int, widths: [Int], matrices: [Tensor], biases: [Tensor], factors: [Tensor]) {
        self.channels = channels
        self.widths = widths
        weights = matrices.map { $0.data.map { Logistic.softplus(Double($0)) } }
        self.biases = biases.map { $0.data.map(Double.init) }
        self.factors = factors.map { $0.data.map { tanh(Double($0)) } }
    }

    /// What `backward` needs from one evaluation: each layer's input h_i, output before the factor
    /// z_i and tanh(z_i); and room for the backward pass's gradients, so that no evaluation allocates.
    struct Trace {
        var inputs: [[Double]]
        var outputs: [[Double]]
        var tanhs: [[Double]]
        var gradInputs: [[Double]]
        var gradOutputs: [[Double]]
        init(widths: [Int]) {
            inputs = (0 ..< widths.count - 1).map { [Double](repeating: 0, count: widths[$0]) }
            outputs = (0 ..< widths.count - 1).map { [Double](repeating: 0, count: widths[$0 + 1]) }
            tanhs = outputs
            gradInputs = inputs
            gradOutputs = outputs
        }
    }

    /// The cumulative logit of `x` under channel `c`'s network, recording the activations in `trace`.
    func logit(_ x: Double, channel c: Int, trace: inout Trace) -> Double {
        trace.inputs[0][0] = x
        for i in 0 ..< layerCount {
            let (nIn, nOut) = (widths[i], widths[i + 1])
            let w = weights[i], b = biases[i]
            for o in 0 ..< nOut {
                let row = (c * nOut + o) * nIn
                var z = b[c * nOut + o]
                for j in 0 ..< nIn { z += w[row + j] * trace.inputs[i][j] }
                trace.outputs[i][o] = z
                if i + 1 < layerCount {
                    let t = tanh(z)
                    trace.tanhs[i][o] = t
                    trace.inputs[i + 1][o] = z + factors[i][c * nOut + o] * t
                }
            }
        }
        return trace.outputs[layerCount - 1][0]
    }

    /// The cumulative logit of `x` under channel `c`'s network.
    func logit(_ x: Double, channel c: Int) -> Double {
        var trace = Trace(widths: widths)
        return logit(x, channel: c, trace: &trace)
    }

    /// Given dL/d(logit) at the evaluation recorded in `trace` (for channel `c`), adds dL/d(weights,
    /// biases, factors) into `gradients` and returns dL/dx.
    func backward(_ gradLogit: Double, channel c: Int, trace: inout Trace,
                  into gradients: inout CumulativeDensityGradients) -> Double {
        for i in stride(from: layerCount - 1, through: 0, by: -1) {
            let (nIn, nOut) = (widths[i], widths[i + 1])
            // dL/dz_i from dL/d(layer output): h_{i+1} (the next layer's input gradient), or the logit.
            if i + 1 < layerCount {
                for o in 0 ..< nOut {
                    let k = c * nOut + o, upstream = trace.gradInputs[i + 1][o]
                    let tz = trace.tanhs[i][o]
                    gradients.factors[i][k] += upstream * tz
                    trace.gradOutputs[i][o] = upstream * (1 + factors[i][k] * (1 - tz * tz))
                }
            } else {
                trace.gradOutputs[i][0] = gradLogit
            }
            for j in 0 ..< nIn { trace.gradInputs[i][j] = 0 }
            for o in 0 ..< nOut {
                let row = (c * nOut + o) * nIn, gradZ = trace.gradOutputs[i][o]
                gradients.biases[i][c * nOut + o] += gradZ
                for j in 0 ..< nIn {
                    gradients.weights[i][row + j] += gradZ * trace.inputs[i][j]
                    trace.gradInputs[i][j] += weights[i][row + j] * gradZ
                }
            }
        }
        return trace.gradInputs[0][0]
    }

    /// Only dL/dx, for a value that gets no parameter gradient (the auxiliary loss's quantiles).
    func derivative(at x: Double, channel c: Int) -> Double {
        var trace = Trace(widths: widths)
        _ = logit(x, channel: c, trace: &trace)
        var unused = CumulativeDensityGradients(like: self)
        return backward(1, channel: c, trace: &trace, into: &unused)
    }
}

/// Gradients with respect to the network's effective weights (softplus(M)), biases and factors
/// (tanh(a)), in Double; `addTo` turns them into gradients of the raw parameters.
struct CumulativeDensityGradients {
    var weights: [[Double]]
    var biases: [[Double]]
    var factors: [[Double]]

    init(like network: CumulativeDensityNetwork) {
        weights = network.weights.map { [Double](repeating: 0, count: $0.count) }
        biases = network.biases.map { [Double](repeating: 0, count: $0.count) }
        factors = network.factors.map { [Double](repeating: 0, count: $0.count) }
    }

    /// Adds another accumulator's gradients (chunks of a batch, summed in order).
    mutating func add(_ other: CumulativeDensityGradients) {
        for i in weights.indices { for k in weights[i].indices { weights[i][k] += other.weights[i][k] } }
        for i in biases.indices { for k in biases[i].indices { biases[i][k] += other.biases[i][k] } }
        for i in factors.indices { for k in factors[i].indices { factors[i][k] += other.factors[i][k] } }
    }

    /// Adds the chain rule through softplus (derivative sigmoid(M)) and tanh (1 - tanh(a)^2) into
    /// the parameters' gradients.
    func addTo(matrices: [Parameter], biases biasParameters: [Parameter], factors factorParameters: [Parameter]) {
        for (i, p) in matrices.enumerated() {
            for k in 0 ..< p.value.count {
                p.grad.data[k] += Float(weights[i][k] * Logistic.sigmoid(Double(p.value.data[k])))
            }
        }
        for (i, p) in biasParameters.enumerated() {
            for k in 0 ..< p.value.count { p.grad.data[k] += Float(biases[i][k]) }
        }
        for (i, p) in factorParameters.enumerated() {
            for k in 0 ..< p.value.count {
                let t = tanh(Double(p.value.data[k]))
                p.grad.data[k] += Float(factors[i][k] * (1 - t * t))
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
