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
public struct EntropyTables: Equatable, Sendable {
    public let tables: [CDFTable]
    public let medians: [Float]

    public static let cdfName = "entropy/cdf"
    public static let lengthName = "entropy/cdf_length"
    public static let offsetName = "entropy/offset"
    public static let medianName = "entropy/median"

    public init(tables: [CDFTable], medians: [Float]) {
        precondition(tables.count == medians.count)
        self.tables = tables
        self.medians = medians
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
        ]
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
        self.init(tables: tables, medians: medians.values)
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
