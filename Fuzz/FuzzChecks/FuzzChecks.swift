import AECodec
import AEData
import AEFormats
import AENet
import Foundation

/// What each fuzz target does with one input, shared by the libFuzzer targets
/// (Fuzz/Fuzz*/main.swift) and FuzzRegressionTests, so that the committed inputs are
/// replayed exactly as they were fuzzed.
///
/// A target's `variants` are the input itself and its repaired forms (checksums and
/// lengths recomputed, data moved past zlib) that let mutations reach deeper checks;
/// `check` reads one variant. A refused input throws the reader's own typed error; a
/// reader that accepts an input and then misbehaves throws `FuzzInvariantFailure`
/// (the targets turn it into a crash).
public struct FuzzInvariantFailure: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Runs every variant of `bytes` through `check`, crashing on an invariant failure and
/// ignoring refusals: the body of a libFuzzer target.
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int,
                 variants: ([UInt8]) -> [[UInt8]], check: ([UInt8]) throws -> Void) -> CInt {
    guard let data else { return 0 }
    for input in variants(Array(UnsafeBufferPointer(start: data, count: size))) {
        do { try check(input) } catch let failure as FuzzInvariantFailure { fatalError(failure.description) } catch {}
    }
    return 0
}

/// The latent file readers of both versions: 1.x (`LatentFile.inspect`/`decode`) and 2.x
/// (`CodedLatentFile.inspect`/`decode`), the dispatch between them (`LatentFiles`), and
/// what `aeinfo` shows (`AnyLatentInfo`).
public enum FuzzLatentFile {
    /// The input, and the input with its trailing CRC-32 recomputed; for a 1.x input also
    /// the same bytes as a 2.x file and the other way round (version byte swapped, CRC
    /// recomputed), so that each corpus feeds both readers.
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count >= 5 else { return [bytes] }
        var out = [bytes, resealed(bytes)]
        let major = bytes[4] >> 4
        if major == 1 || major == 2 {
            var other = bytes
            other[4] = (major == 1 ? 0x20 : 0x10) | (bytes[4] & 0x0F)
            out.append(resealed(other))
        }
        return out
    }

    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 4 else { return bytes }
        var fixed = bytes
        let end = fixed.count - 4
        let crc = Zlib.crc32(Array(fixed[0..<end]))
        for k in 0..<4 { fixed[end + k] = UInt8(truncatingIfNeeded: crc >> (8 * k)) }
        return fixed
    }

    /// A file that decodes must show in aeinfo, read the same through the dispatch, and
    /// survive a round trip through `encoded()`.
    public static func check(_ bytes: [UInt8]) throws {
        let info = try AnyLatentInfo(bytes: bytes)
        _ = info.text()
        _ = try info.json()
        switch info {
        case .tiles: try checkTiles(bytes)
        case .coded: try checkCoded(bytes)
        }
    }

    static func checkTiles(_ bytes: [UInt8]) throws {
        let header = try LatentFile.inspect(bytes)
        // uint8 files need the model's table: any valid one of the right size will do.
        let table = LatentQuantization(scale: Array(repeating: 0.5, count: header.latentDim),
                                       offset: Array(repeating: -1, count: header.latentDim))
        let file = try LatentFile.decode(bytes, quantization: table)
        guard try LatentFiles.decode(bytes, quantization: table) == .tiles(file) else {
            throw FuzzInvariantFailure("LatentFiles reads a 1.x file differently from LatentFile")
        }
        let again: LatentFile
        do { again = try LatentFile.decode(try file.encoded(), quantization: table) } catch {
            throw FuzzInvariantFailure("a decoded latent file does not re-encode: \(error)")
        }
        if again != file { throw FuzzInvariantFailure("latent file changed in a round trip") }
    }

    static func checkCoded(_ bytes: [UInt8]) throws {
        let header = try CodedLatentFile.inspect(bytes)
        let file = try CodedLatentFile.decode(bytes)
        guard try LatentFiles.decode(bytes) == .coded(file) else {
            throw FuzzInvariantFailure("LatentFiles reads a 2.x file differently from CodedLatentFile")
        }
        // The sections tile the file exactly, and the decoded parts are the sizes the header says.
        guard header.streamOffset + header.streamLength + 4 == bytes.count, file.stream.count == header.streamLength,
              file.metadata.count == header.metadata.filter({ $0.kind != nil }).count,
              (file.alpha?.count ?? 0) == header.alphaRawLength else {
            throw FuzzInvariantFailure("a 2.x file's sections disagree with its header: \(header)")
        }
        let encoded: [UInt8]
        do { encoded = try file.encoded() } catch {
            throw FuzzInvariantFailure("a decoded 2.x latent file does not re-encode: \(error)")
        }
        let again: CodedLatentFile
        do { again = try CodedLatentFile.decode(encoded) } catch {
            throw FuzzInvariantFailure("a re-encoded 2.x latent file does not decode: \(error)")
        }
        if again != file { throw FuzzInvariantFailure("2.x latent file changed in a round trip") }
    }
}

/// The model bundle reader (`ModelBundle.decode`), rebuilding the network (`makeModel`)
/// as aeenc/aedec do, and what aeinfo prints (`BundleInfo`).
public enum FuzzModelBundle {
    /// The input, and (when the header says where the sections are) the input with the
    /// file length and every CRC recomputed, so mutations reach table, metadata and
    /// architecture checks.
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count >= 96 else { return [bytes] }
        var b = bytes
        let headerLength = Int(u32(b, 12))
        guard headerLength >= 96, headerLength <= 4096, headerLength % 4 == 0, headerLength <= b.count else { return [bytes] }
        put(UInt64(b.count), &b, 16)
        for (offsetField, crcField) in [(24, 80), (40, 84), (56, 88)] {
            let offset = u64(b, offsetField), length = u64(b, offsetField + 8)
            guard offset <= UInt64(b.count), length <= UInt64(b.count) - offset else { continue }
            put(Zlib.crc32(Array(b[Int(offset)..<Int(offset + length)])), &b, crcField)
        }
        put(Zlib.crc32(Array(b[0..<(headerLength - 4)])), &b, headerLength - 4)
        return b == bytes ? [bytes] : [bytes, b]
    }

    public static func check(_ bytes: [UInt8]) throws {
        let bundle = try ModelBundle.decode(bytes)
        if bundle.fingerprint.count != 32 { throw FuzzInvariantFailure("fingerprint \(bundle.fingerprint)") }
        // BundleInfo reads files only.
        try Data(bytes).write(to: infoFile)
        let info: BundleInfo
        do { info = try BundleInfo(path: infoFile.path) } catch {
            throw FuzzInvariantFailure("a bundle that decodes from memory does not read from a file: \(error)")
        }
        if !info.text().contains(bundle.fingerprint) { throw FuzzInvariantFailure("aeinfo misses the fingerprint") }
        _ = try info.json()
        // The entropy tables (and a hyperprior's scale table) as the codec reads them.
        if let tables = try EntropyTables(bundle: bundle), let scales = tables.scales,
           scales.count >= tables.tables.count || tables.priorTableCount + scales.count != tables.tables.count {
            throw FuzzInvariantFailure("accepted \(scales.count) scales for \(tables.tables.count) tables")
        }
        _ = try bundle.makeModel()
    }

    /// One scratch file per process, removed at exit.
    private static let infoFile: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aecodec-fuzz-\(getpid()).aemodel")
        atexit { unlink(FileManager.default.temporaryDirectory.appendingPathComponent("aecodec-fuzz-\(getpid()).aemodel").path) }
        return url
    }()

    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
    }

    private static func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
    }

    private static func put<T: FixedWidthInteger>(_ value: T, _ b: inout [UInt8], _ at: Int) {
        for k in 0..<(T.bitWidth / 8) { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
    }
}

/// The MAT v5 image reader (`MATFile(bytes:)`), plain and compressed.
public enum FuzzMATFile {
    /// The input, and (mutations cannot get inside a zlib stream) its 128-byte header
    /// followed by everything else wrapped in one miCOMPRESSED element, in the byte
    /// order the header names.
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count > 128 else { return [bytes] }
        let stream = Zlib.compress(Array(bytes[128...]), level: 1)
        let bigEndian = bytes[126] == UInt8(ascii: "M")
        let word = { (v: UInt32) -> [UInt8] in
            (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32(bigEndian ? 3 - $0 : $0))) }
        }
        return [bytes, Array(bytes[0..<128]) + word(15) + word(UInt32(stream.count)) + stream]
    }

    public static func check(_ bytes: [UInt8]) throws {
        let file = try MATFile(bytes: bytes)
        try checkImages(file.images, "MAT")
    }
}

/// The .npy image reader (`NpyFile(bytes:)`).
public enum FuzzNpyFile {
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] { [bytes] }

    public static func check(_ bytes: [UInt8]) throws {
        try checkImages(try NpyFile(bytes: bytes).images, "npy")
    }
}

/// PNG input as aeenc reads it (`CodecImage.decodePNG`: libpng's header, the codec's
/// size limits, then libpng's decoder or our Adam7 de-interlacer).
public enum FuzzPNG {
    /// The input; with every chunk CRC recomputed (libpng stops at the first bad CRC of a
    /// critical chunk); and as signature and IHDR followed by the rest of the input as
    /// uncompressed image data in one IDAT, so mutations reach the rows and their filters.
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] {
        var out = [bytes]
        let fixed = withFixedCRCs(bytes)
        if fixed != bytes { out.append(fixed) }
        if bytes.count >= 33 { out.append(withRawImageData(bytes)) }
        return out
    }

    public static func check(_ bytes: [UInt8]) throws {
        let image = try CodecImage.decodePNG(bytes, path: "<fuzz>").image
        if image.pixels.count != image.width * image.height * image.channels {
            throw FuzzInvariantFailure("PNG of \(image.width)x\(image.height)x\(image.channels) has \(image.pixels.count) samples")
        }
    }

    static func withRawImageData(_ bytes: [UInt8]) -> [UInt8] {
        var png = withFixedCRCs(Array(bytes[0..<33]))
        func chunk(_ type: String, _ body: [UInt8]) {
            for k in 0..<4 { png.append(UInt8(truncatingIfNeeded: body.count >> (8 * (3 - k)))) }
            let typed = Array(type.utf8) + body
            let crc = Zlib.crc32(typed)
            png += typed
            for k in 0..<4 { png.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(3 - k)))) }
        }
        chunk("IDAT", Zlib.compress(Array(bytes[33...]), level: 1))
        chunk("IEND", [])
        return png
    }

    /// `bytes` with the CRC of every complete chunk after the signature recomputed.
    static func withFixedCRCs(_ bytes: [UInt8]) -> [UInt8] {
        var b = bytes
        var at = 8
        while at + 12 <= b.count {
            let length = b[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) }
            guard length <= b.count - at - 12 else { break }
            let crc = Zlib.crc32(Array(b[(at + 4)..<(at + 8 + length)]))
            for k in 0..<4 { b[at + 8 + length + k] = UInt8(truncatingIfNeeded: crc >> (8 * (3 - k))) }
            at += 12 + length
        }
        return b
    }
}

/// JPEG and WebP input as aeenc reads it (`CodecImage.decode`: the signature, the
/// library's header, the codec's limits, then libjpeg-turbo behind the CJPEG shim or
/// libwebp), under a 2^22-pixel limit so that a valid but large image stays within the
/// fuzzer's memory limits (the tools allow 2^27).
public enum FuzzImage {
    public static let maxPixels = 1 << 22

    /// The input; and for a WebP, the input with the RIFF length recomputed (libwebp
    /// refuses a container whose length disagrees with the data before anything else).
    public static func variants(_ bytes: [UInt8]) -> [[UInt8]] {
        guard WebPImage.isWebP(bytes) else { return [bytes] }
        var fixed = bytes
        let length = UInt32(truncatingIfNeeded: bytes.count - 8)
        for k in 0..<4 { fixed[4 + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
        return fixed == bytes ? [bytes] : [bytes, fixed]
    }

    public static func check(_ bytes: [UInt8]) throws {
        let decoded = try CodecImage.decode(bytes, path: "<fuzz>", maxPixels: maxPixels)
        let image = decoded.image
        let header = try ImageFile.header(of: bytes)
        if image.pixels.count != image.width * image.height * image.channels || image.channels != header.channels
            || image.width != header.width || image.height != header.height {
            throw FuzzInvariantFailure("\(header) decoded to \(image.width)x\(image.height)x\(image.channels), "
                + "\(image.pixels.count) samples")
        }
    }
}

/// Training-data readers must return whole 32x32x3 images.
private func checkImages(_ images: ImageSet, _ reader: String) throws {
    if images.pixels.count % 3072 != 0 {
        throw FuzzInvariantFailure("\(reader) reader returned \(images.pixels.count) bytes of pixels")
    }
}
