import AEEntropyCoding

/// What the range coder needs to code a model's latents: one integer CDF table per latent
/// channel, and each channel's median (symbol k stands for the value k + median).
///
/// The tables are computed once, from the trained prior, when a finished bundle is
/// written, and stored as integers (exactly representable as float32: every number is
/// below 2^24) in the tensors `entropy/cdf` [channels, longest + 1] (each row's unused end
/// zero), `entropy/cdf_length` [channels], `entropy/offset` [channels] and the float32
/// `entropy/median` [channels] (Specs/model-bundle.md, section 6b). Encoder and decoder
/// both use these integers, never the prior's floating point, so a file decodes to the
/// same symbols on every machine. Read here, beside the bundle, so that a reader of coded
/// latent files (`LatentValues`, aeinfo) needs no network; `EntropyTables(prior:)` (AECodec)
/// computes them.
///
/// A hyperprior model's tables (format 1.8) are the factorized prior's, one per channel of the
/// hyper-latent z, followed by one per entry of the Gaussian conditional's scale table (median
/// 0), and `scales` holds that table (the tensor `entropy/scale`): a value of y whose scale is
/// s is coded with the table of the first entry >= s (the last entry for larger ones).
public struct EntropyTables: Equatable, Sendable {
    public let tables: [CDFTable]
    public let medians: [Float]
    /// The Gaussian conditional's scales, increasing (nil: a factorized prior's tables only).
    public let scales: [Float]?

    /// Tables of the first coded latent (the factorized prior's): all of them, or all but the
    /// scale tables.
    public var priorTableCount: Int { tables.count - (scales?.count ?? 0) }

    public static let cdfName = "entropy/cdf"
    public static let lengthName = "entropy/cdf_length"
    public static let offsetName = "entropy/offset"
    public static let medianName = "entropy/median"
    public static let scaleName = "entropy/scale"

    public init(tables: [CDFTable], medians: [Float], scales: [Float]? = nil) {
        precondition(tables.count == medians.count && tables.count > (scales?.count ?? 0))
        self.tables = tables
        self.medians = medians
        self.scales = scales
    }

    /// The tables as bundle tensors.
    public var tensors: [BundleTensor] {
        let longest = tables.map(\.cdf.count).max() ?? 0
        var cdf = [Float](repeating: 0, count: tables.count * longest)
        for (c, t) in tables.enumerated() {
            for (i, v) in t.cdf.enumerated() { cdf[c * longest + i] = Float(v) }
        }
        return [
            BundleTensor(name: Self.cdfName, shape: [tables.count, longest], values: cdf),
            BundleTensor(name: Self.lengthName, shape: [tables.count], values: tables.map { Float($0.cdf.count) }),
            BundleTensor(name: Self.offsetName, shape: [tables.count], values: tables.map { Float($0.offset) }),
            BundleTensor(name: Self.medianName, shape: [tables.count], values: medians),
        ] + (scales.map { [BundleTensor(name: Self.scaleName, shape: [$0.count], values: $0)] } ?? [])
    }

    /// The tables a bundle holds; nil when it holds none. Throws `BundleError.invalidTensor`-like
    /// errors (as `architectureMismatch` on "(entropy tables)") for tables that are not exact
    /// integers, do not agree in size, or are not valid CDFs.
    public init?(bundle: ModelBundle) throws {
        let names = [Self.cdfName, Self.lengthName, Self.offsetName, Self.medianName]
        let found = names.map { bundle[$0] }
        if found.allSatisfy({ $0 == nil }) { return nil }
        func damaged(_ reason: String) -> BundleError {
            .architectureMismatch(path: bundle.displayPath, layer: "(entropy tables)", reason: reason)
        }
        guard let cdf = found[0], let lengths = found[1], let offsets = found[2], let medians = found[3] else {
            throw damaged("the bundle holds some of \(names.joined(separator: ", ")) but not all")
        }
        let channels = lengths.values.count
        guard cdf.shape.count == 2, cdf.shape[0] == channels, lengths.shape == [channels],
              offsets.shape == [channels], medians.shape == [channels], channels > 0 else {
            throw damaged("shapes \(cdf.shape), \(lengths.shape), \(offsets.shape), \(medians.shape) do not agree")
        }
        let longest = cdf.shape[1]
        func integer(_ v: Float, in range: ClosedRange<Double>, _ what: String) throws -> Int64 {
            guard v.isFinite, Double(v) == Double(v).rounded(), range.contains(Double(v)) else {
                throw damaged("\(what) \(v) is not an integer in \(Int64(range.lowerBound))...\(Int64(range.upperBound))")
            }
            return Int64(v)
        }
        var tables: [CDFTable] = []
        for c in 0 ..< channels {
            let length = Int(try integer(lengths.values[c], in: 3 ... Double(longest), "channel \(c)'s table length"))
            let offset = Int32(try integer(offsets.values[c], in: Double(Int32.min) ... Double(Int32.max), "channel \(c)'s offset"))
            let row = try (0 ..< length).map {
                UInt32(try integer(cdf.values[c * longest + $0], in: 0 ... Double(CDFTable.total), "channel \(c)'s cdf value"))
            }
            do {
                tables.append(try CDFTable(cdf: row, offset: offset))
            } catch {
                throw damaged("channel \(c)'s table is not a valid CDF: \(error)")
            }
            guard medians.values[c].isFinite else { throw damaged("channel \(c)'s median is \(medians.values[c])") }
        }
        var scales: [Float]?
        if let s = bundle[Self.scaleName] {
            guard s.shape.count == 1, s.shape[0] > 0, s.shape[0] < channels else {
                throw damaged("\(Self.scaleName) has shape \(s.shape) for \(channels) tables")
            }
            guard s.values.allSatisfy({ $0.isFinite && $0 > 0 }), zip(s.values, s.values.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw damaged("\(Self.scaleName) is not a list of increasing positive scales")
            }
            guard medians.values.suffix(s.shape[0]).allSatisfy({ $0 == 0 }) else {
                throw damaged("the scale tables' medians are not 0")
            }
            scales = s.values
        }
        self.init(tables: tables, medians: medians.values, scales: scales)
    }
}

extension ModelBundle {
    /// The bundle with `tables` as its `entropy/` tensors (replacing any).
    public func withEntropyTables(_ tables: EntropyTables) -> ModelBundle {
        var b = self
        b.tensors.removeAll { $0.name.hasPrefix("entropy/") }
        b.tensors += tables.tensors
        return b
    }
}
