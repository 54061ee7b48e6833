import AEBase
import Foundation

/// What `aeinfo` shows about a model bundle: header, metadata, tensor table and
/// fingerprint, as text or as one JSON object.
public struct BundleInfo {
    public let path: String
    public let container: BundleContainer
    public let bundle: ModelBundle

    /// Reads and checks the bundle at `path`.
    public init(path: String) throws {
        self.path = path
        container = try BundleContainer.read(path: path)
        bundle = try ModelBundle(container: container, path: path)
    }

    /// Keys present in the stored metadata that this reader does not know (from a newer
    /// minor version), as dotted paths.
    public var unknownMetadataKeys: [String] {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard let stored = try? JSONSerialization.jsonObject(with: Data(container.metadataBytes)),
              let known = try? JSONSerialization.jsonObject(with: encoder.encode(bundle.metadata)) else { return [] }
        var found: [String] = []
        func walk(_ a: Any, _ b: Any?, _ at: String) {
            if let da = a as? [String: Any] {
                let db = b as? [String: Any]
                for key in da.keys.sorted() {
                    let path = at.isEmpty ? key : "\(at).\(key)"
                    if db?[key] == nil { found.append(path) } else { walk(da[key]!, db?[key], path) }
                }
            } else if let la = a as? [Any], let lb = b as? [Any] {
                for (i, x) in la.enumerated() where i < lb.count { walk(x, lb[i], "\(at)[\(i)]") }
            }
        }
        walk(stored, known, "")
        return found
    }

    // MARK: - Text

    public func text() -> String {
        let h = container.header
        let m = bundle.metadata
        let a = m.architecture
        var out: [String] = []
        out.append("file: \(path)")
        out.append("kind: model bundle, \(m.kind.rawValue)")
        out.append("format: version \(h.version), signature \(BundleContainer.hexBytes(BundleHeader.magic[...]))")
        out.append("header: \(h.headerLength) bytes, flags \(hex32(h.flags))\(h.isCheckpoint ? " (checkpoint)" : ""), header CRC-32 \(hex32(h.headerCRC))")
        out.append("file length: \(NumberText.grouped(Int(h.fileLength))) bytes")
        out.append(table([["section", "offset", "length", "CRC-32"],
                          ["metadata", "\(h.metadataOffset)", "\(h.metadataLength)", hex32(h.metadataCRC)],
                          ["tensor table", "\(h.tableOffset)", "\(h.tableLength)", hex32(h.tableCRC)],
                          ["tensor data", "\(h.dataOffset)", "\(h.dataLength)", hex32(h.dataCRC)]],
                         right: [1, 2], indent: "  "))
        out.append("fingerprint: \(bundle.fingerprint)")
        let weights = bundle.weightTensors
        out.append("weights: \(bundle.weightType.name), \(weights.count) tensors, \(NumberText.grouped(weights.reduce(0) { $0 + $1.values.count })) values")
        if let q = bundle.quantization {
            out.append("latent quantisation table: \(q.latentDim) dimensions (aeenc --bits 8; not in the fingerprint)")
        }
        out.append("")
        out.append("architecture: \(a.family), input \(a.inputShape), latent \(a.latentDim), hidden activation \(a.hiddenActivation), \(NumberText.grouped(a.parameterCount)) parameters")
        if a.variant != nil || a.conditionClasses != nil {
            // Format 1.6: the variational and conditional variants.
            var parts: [String] = []
            if let v = a.variant { parts.append("\(v)" + (m.training?.beta.map { ", trained with beta \($0)" } ?? "")) }
            if let c = a.conditionClasses { parts.append("conditional on \(c) classes") }
            out.append("variant: " + parts.joined(separator: "; "))
        }
        if let e = a.entropyModel {
            var line = e.kind == BundleMetadata.EntropyModelInfo.hyperprior
                ? "entropy model: scale hyperprior (a factorized prior over \(e.channels) hyper-latent channels, density filters \(e.filters); "
                    + "a Gaussian conditional over the latent\(bundle[EntropyTables.scaleName].map { " with \($0.values.count) scales" } ?? ""))"
                : "entropy model: \(e.kind) prior over \(e.channels) latent channels, density filters \(e.filters)"
            if let cdf = bundle["entropy/cdf"], cdf.shape.count == 2 {
                line += "; entropy tables for \(cdf.shape[0]) channels, up to \(cdf.shape[1] - 2) symbols each"
            } else {
                line += "; no entropy tables (a checkpoint)"
            }
            if let lambda = m.training?.lambda { line += "; trained with lambda \(lambda)" }
            out.append(line)
        }
        var rows = [["part", "layer", "kind", "activation", "input", "output", "parameters"]]
        for l in a.layers {
            rows.append([l.part.rawValue, l.name, l.kind, l.activation ?? "-", shape(l.inputShape),
                         shape(l.outputShape), l.parameters.isEmpty ? "-" : l.parameters.joined(separator: ", ")])
        }
        out.append(table(rows, indent: "  "))
        let n = m.normalization
        out.append("normalization: x = (pixel - \(number(n.offset))) / \(number(n.scale)), layout \(n.layout), channels \(n.channels)")
        out.append("tool: \(m.tool.name) \(m.tool.version)\(m.createdAt.map { ", written \($0)" } ?? "")")
        if let q = m.quality {
            out.append("quality: \(q.label)\(q.kodakFigures.map { " (\($0))" } ?? "") (aeenc --model \(q.set) -q \(q.level))")
        }
        if let s = m.source {
            out.append("converted from: \(s.file) (\(s.format)\(s.kerasVersion.map { ", Keras \($0)" } ?? "")), sha256 \(s.sha256)")
        }
        out.append("")
        if let t = m.training {
            out.append("training:")
            if let d = t.dataSource {
                var counts = ["\(NumberText.grouped(d.sampleCount)) images"]
                if let c = d.trainCount { counts.append("train \(NumberText.grouped(c))") }
                if let c = d.validationCount { counts.append("validation \(NumberText.grouped(c))") }
                if let c = d.testCount { counts.append("test \(NumberText.grouped(c))") }
                out.append("  data source: \(d.kind): \(d.description) (\(counts.joined(separator: ", ")))")
            } else {
                out.append("  data source: unknown")
            }
            out.append("  epochs: \(t.epochs), batch size \(t.batchSize), validation split \(number(t.validationSplit))")
            if let noise = t.inputNoise { out.append("  denoising: inputs corrupted by \(noise)") }
            let o = t.optimizer
            out.append("  optimizer: \(o.name), learning rate \(o.learningRate), beta1 \(o.beta1), beta2 \(o.beta2), epsilon \(o.epsilon)")
            if let c = t.gradientClipNorm { out.append("  gradient clipping: global L2 norm at most \(number(c))") }
            var seeds = "  seed: \(t.seed)"
            if let s = t.initSeed { seeds += ", initial weights seed \(s)" }
            if let th = t.threads { seeds += ", threads \(th)" }
            out.append(seeds)
            if let w = t.wallTimeSeconds { out.append("  wall time: \(String(format: "%.1f", w)) s") }
        } else {
            out.append("training: not recorded")
        }
        if let c = m.checkpoint {
            out.append("checkpoint: optimizer step \(c.optimizerStep), \(c.completedEpochs) of \(m.training?.epochs ?? c.completedEpochs) epochs completed")
        }
        out.append("")
        if let metrics = m.metrics {
            if metrics.epochs.isEmpty {
                out.append("metrics: no epochs recorded")
            } else {
                out.append("metrics:")
                var rows = [["epoch", "train loss", "validation loss", "seconds", "images/s"]]
                for e in metrics.epochs {
                    rows.append(["\(e.epoch)", fixed(e.trainLoss, 6), e.validationLoss.map { fixed($0, 6) } ?? "-",
                                 fixed(e.seconds, 1), fixed(e.imagesPerSecond, 1)])
                }
                out.append(table(rows, right: [0, 1, 2, 3, 4], indent: "  "))
            }
            if metrics.testMSE != nil || metrics.testPSNR != nil {
                out.append("test: MSE \(metrics.testMSE.map { fixed($0, 6) } ?? "-"), PSNR \(metrics.testPSNR.map { fixed($0, 2) + " dB" } ?? "-")")
            }
        } else {
            out.append("metrics: not recorded")
        }
        out.append("")
        out.append("tensors: \(container.entries.count)")
        var trows = [["name", "type", "shape", "offset", "bytes"]]
        for e in container.entries {
            trows.append([e.name, e.elementType.name, shape(e.shape), "\(e.offset)", "\(e.length)"])
        }
        out.append(table(trows, right: [3, 4], indent: "  "))
        let unknown = unknownMetadataKeys
        if !unknown.isEmpty {
            out.append("")
            out.append("metadata keys this reader does not know: \(unknown.joined(separator: ", "))")
        }
        return out.joined(separator: "\n")
    }

    // MARK: - JSON

    /// One JSON object: file, header, fingerprint, the stored metadata (verbatim,
    /// unknown keys included; control characters in strings and lone surrogates escaped), the
    /// tensor table and any unknown metadata keys.
    public func json() throws -> String {
        let h = container.header
        struct Section: Encodable { let offset: UInt64, length: UInt64, crc32: String }
        struct Header: Encodable {
            let magic: String, majorVersion: UInt16, minorVersion: UInt16, headerLength: UInt32
            let fileLength: UInt64, flags: UInt32, checkpoint: Bool, tensorCount: UInt32, headerCRC32: String
            let metadata: Section, tensorTable: Section, tensorData: Section
        }
        struct Tensor: Encodable { let name: String, type: String, shape: [Int], offset: UInt64, length: UInt64 }
        struct Envelope: Encodable {
            let path: String, fileKind: String, header: Header, fingerprint: String, weightType: String
            let metadata: String, tensors: [Tensor], unknownMetadataKeys: [String]
        }
        let placeholder = "\u{1}METADATA\u{1}"
        let envelope = Envelope(
            path: path, fileKind: "model-bundle",
            header: Header(magic: SHA256.hex(BundleHeader.magic), majorVersion: h.majorVersion,
                           minorVersion: h.minorVersion, headerLength: h.headerLength, fileLength: h.fileLength,
                           flags: h.flags, checkpoint: h.isCheckpoint, tensorCount: h.tensorCount,
                           headerCRC32: hex32(h.headerCRC),
                           metadata: Section(offset: h.metadataOffset, length: h.metadataLength, crc32: hex32(h.metadataCRC)),
                           tensorTable: Section(offset: h.tableOffset, length: h.tableLength, crc32: hex32(h.tableCRC)),
                           tensorData: Section(offset: h.dataOffset, length: h.dataLength, crc32: hex32(h.dataCRC))),
            fingerprint: bundle.fingerprint, weightType: bundle.weightType.name, metadata: placeholder,
            tensors: container.entries.map { Tensor(name: $0.name, type: $0.elementType.name, shape: $0.shape,
                                                     offset: $0.offset, length: $0.length) },
            unknownMetadataKeys: unknownMetadataKeys)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: try encoder.encode(envelope), as: UTF8.self)
        // Splice in the stored metadata verbatim (already checked to be a JSON object),
        // indented to sit under its key.
        // A leading byte-order mark is allowed before the document, not inside another one.
        var raw = String(decoding: container.metadataBytes, as: UTF8.self)
        if raw.hasPrefix("\u{FEFF}") { raw.removeFirst() }
        raw = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) == nil {
            // The reader's JSONDecoder accepts what is not JSON text (raw control characters
            // or NUL in strings, escaped lone surrogates): escaped, so that this document
            // stays valid JSON; anything else makes the file's JSON an error, never invalid.
            raw = JSONTextRepair.repaired(raw)
            guard (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) != nil else {
                throw BundleError.invalidMetadata(path: path, reason: "not JSON text that can be shown as it is stored")
            }
        }
        let quoted = String(decoding: try JSONEncoder().encode(placeholder), as: UTF8.self)
        guard let range = text.range(of: quoted) else { return text }
        let lineStart = text[..<range.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
        let indent = String(text[lineStart...].prefix { $0 == " " })
        let indented = raw.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            .map { $0.offset == 0 ? String($0.element) : indent + $0.element }.joined(separator: "\n")
        return text.replacingCharacters(in: range, with: indented)
    }

    // MARK: - Formatting helpers

    func hex32(_ v: UInt32) -> String { FileErrorText.hex32(v) }

    func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }


    func fixed(_ v: Double, _ places: Int) -> String {
        v.isFinite ? String(format: "%.\(places)f", v) : "\(v)"
    }

    func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }

    /// Columns padded to their widest cell; `right` columns are right-aligned.
    func table(_ rows: [[String]], right: Set<Int> = [], indent: String = "") -> String {
        let widths = (0..<(rows.first?.count ?? 0)).map { c in rows.map { $0[c].count }.max() ?? 0 }
        return rows.map { row in
            indent + row.enumerated().map { c, cell in
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                return right.contains(c) ? pad + cell : (c == row.count - 1 ? cell : cell + pad)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
