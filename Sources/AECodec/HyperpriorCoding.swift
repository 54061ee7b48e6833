import AEEntropyCoding
import AEFormats
import AENet

/// The symbols of a hyperprior model's latent y, in the order the stream codes them
/// (Specs/latent-file.md, section 12.3): first the hyper-latent z's, each under its channel's
/// table of the factorized prior, then y's, each under the table of its scale.
///
/// z = h_a(|y|) runs through the engine (only the encoder computes it), but the scales must
/// come out the same in encoder and decoder on every machine, or the decoder would pick
/// another table and desynchronise: they are computed from z's decoded values (symbol +
/// median, float32) by `FixedOrderInference` (plain multiplications and additions in one
/// fixed order, no BLAS, no fused multiply-add), and a value's table is picked by comparing
/// its scale with the bundle's float32 scale table. So the tables depend only on integers
/// and IEEE-754 float32 arithmetic.
struct HyperpriorCoding {
    let hyperprior: Hyperprior
    let tables: EntropyTables
    /// A Gaussian conditional over the bundle's scale table: it picks each value's table.
    let indexing: GaussianConditional
    /// Threads for the fixed-order hyper-synthesis (the result does not depend on them).
    let threads: Int

    init?(hyperprior: Hyperprior, tables: EntropyTables, threads: Int) {
        guard let scales = tables.scales, tables.priorTableCount == hyperprior.prior.channels,
              hyperprior.synthesis.layers.allSatisfy(FixedOrderInference.supports) else { return nil }
        self.hyperprior = hyperprior
        self.tables = tables
        indexing = GaussianConditional(scaleTable: scales)
        self.threads = threads
    }

    /// z's shape for a latent y of `yShape` [1, H, W, M].
    func hyperShape(_ yShape: [Int]) -> [Int] {
        [1, Hyperprior.hyperSize(yShape[1]), Hyperprior.hyperSize(yShape[2]), hyperprior.prior.channels]
    }

    /// Each symbol of `y` with its table, in coding order. `symbol` rounds a value (relative
    /// to a median) to its symbol, throwing for values that cannot be coded.
    func symbols(of y: Tensor, symbol: (Float, Float) throws -> Int32) rethrows -> (symbols: [Int32], tables: [Int]) {
        let z = hyperprior.hyperLatent(of: y)
        let n = hyperprior.prior.channels, medians = tables.medians
        var symbols: [Int32] = [], tableIndexes: [Int] = []
        symbols.reserveCapacity(z.count + y.count)
        tableIndexes.reserveCapacity(z.count + y.count)
        for i in 0 ..< z.count {
            symbols.append(try symbol(z.data[i], medians[i % n]))
            tableIndexes.append(i % n)
        }
        let indexes = scaleIndexes(zSymbols: symbols, zShape: z.shape, yShape: y.shape)
        for i in 0 ..< y.count {
            symbols.append(try symbol(y.data[i], 0))
            tableIndexes.append(n + indexes[i])
        }
        return (symbols, tableIndexes)
    }

    /// Decodes z's symbols, then y's, from `decoder`; y's values (its symbols, as float32).
    func decode(_ decoder: inout RangeDecoder, yShape: [Int]) throws -> Tensor {
        let zShape = hyperShape(yShape), n = hyperprior.prior.channels
        let zCount = Tensor.elementCount(zShape)
        var zSymbols = [Int32](repeating: 0, count: zCount)
        for i in 0 ..< zCount { zSymbols[i] = try decoder.decode(table: i % n) }
        let indexes = scaleIndexes(zSymbols: zSymbols, zShape: zShape, yShape: yShape)
        var y = Tensor(zeros: yShape)
        for i in 0 ..< y.count { y.data[i] = Float(try decoder.decode(table: n + indexes[i])) }
        return y
    }

    /// The scale table index of every value of y: the scales h_s gives from z's decoded
    /// values, cropped to y's size, each matched to the first table scale at least as large
    /// (the last for larger ones and NaN: `GaussianConditional.scaleIndices`).
    func scaleIndexes(zSymbols: [Int32], zShape: [Int], yShape: [Int]) -> [Int] {
        let n = hyperprior.prior.channels, medians = tables.medians
        let zHat = Tensor(shape: zShape, data: zSymbols.indices.map { Float(zSymbols[$0]) + medians[$0 % n] })
        let raw = FixedOrderInference.run(hyperprior.synthesis.layers, input: zHat, threads: threads)
        let s = Hyperprior.crop(raw, toRows: yShape[1], columns: yShape[2])
        return indexing.scaleIndices(s).map { Int($0) }
    }
}
