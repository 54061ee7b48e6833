import AEFormats

/// The metadata readers of image inputs (`ImageMetadata.read`: PNG chunks, JPEG segments,
/// WebP's RIFF chunks), what aeenc does with what they find (`MetadataBlock.fitting`, the
/// latent file's metadata block) and what aedec does with it (`PNGMetadataWriter`).
public enum FuzzImageMetadata {
    /// The input; with every PNG chunk CRC recomputed (a mutated metadata chunk is otherwise
    /// left out at its CRC); for a WebP, with the RIFF length recomputed.
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] {
        var out = [bytes]
        if bytes.starts(with: PNGImage.signature) {
            let fixed = FuzzPNG.withFixedCRCs(bytes)
            if fixed != bytes { out.append(fixed) }
        }
        out += FuzzImage.variants(bytes).dropFirst()
        return out
    }

    /// A 1x1 gray PNG for the writer to put records into (libpng's own output).
    static let canvas: [UInt8] = (try? PNGImage(width: 1, height: 1, channels: 1, pixels: [128]).encoded()) ?? []

    /// Reading never fails; what it keeps must be valid records that survive a latent
    /// file's metadata block and a PNG written by aedec, unchanged.
    public static func check(_ bytes: [UInt8]) throws {
        let found = ImageMetadata.read(bytes)
        for record in found.records {
            if let problem = record.problem { throw FuzzInvariantFailure("kept an invalid \(record.kind.name) record: \(problem)") }
        }
        for kind in MetadataRecord.Kind.allCases where !kind.isRepeatable {
            if found.records.filter({ $0.kind == kind }).count > 1 { throw FuzzInvariantFailure("two \(kind.name) records") }
        }
        let kept = MetadataBlock.fitting(found.records).kept
        let file = CodedLatentFile(modelFingerprint: Array(repeating: 7, count: 8), width: 1, height: 1, colorType: .gray,
                                   bitDepth: 8, stream: [0, 0x80, 0, 0], metadata: kept)
        let again: CodedLatentFile
        do { again = try CodedLatentFile.decode(try file.encoded()) } catch {
            throw FuzzInvariantFailure("the records that fit do not make a latent file: \(error)")
        }
        if again.metadata != kept { throw FuzzInvariantFailure("metadata changed in a latent file") }
        let png: [UInt8]
        do { png = try PNGMetadataWriter.inserting(kept, into: canvas) } catch {
            throw FuzzInvariantFailure("the records cannot be written into a PNG: \(error)")
        }
        let back = ImageMetadata.read(png)
        if back.records != kept || !back.damaged.isEmpty {
            throw FuzzInvariantFailure("the PNG written reads back as \(back.records.map(\.label)), damaged \(back.damaged)")
        }
        _ = try PNGImage.decode(png)
    }
}
