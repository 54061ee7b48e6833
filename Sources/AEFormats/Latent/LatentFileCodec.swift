/// The byte layout of latent files (`Specs/latent-file.md`): header fields, limits,
/// the payload's byte planes, and the checks a reader makes.
extension LatentFile {
    /// `89 41 45 4C`: "\x89AEL". The high bit catches 7-bit channels; "AEL" names the format.
    public static let magic: [UInt8] = [0x89, 0x41, 0x45, 0x4C]
    /// The major version this implementation reads and writes.
    public static let majorVersion = 1
    /// The highest minor version this implementation writes: 1 for a file with metadata
    /// (an extension block of metadata records, Specs/latent-file.md section 13), 0 without.
    public static let minorVersion = 1

    /// Documented maxima, checked by writers and by readers before allocating.
    public enum Limits {
        /// Image width and height, each.
        public static let side = 16_384
        /// Width x height (that of the PNG reader's default, 2^27).
        public static let pixels = 1 << 27
        /// Latent values per tile.
        public static let latentDim = 65_536
        /// Tile edge: a power of two in this range.
        public static let tileSizes = 4...1024
        /// Latent payload bytes before compression (tiles x latentDim x element size), 256 MiB.
        public static let payloadBytes = 1 << 28
        /// Whole-file size `read(path:)` accepts, 1 GiB.
        public static let fileBytes = 1 << 30
        /// Bytes of a varint (LEB128), the 1.x extension block included.
        public static let varintBytes = 5
        /// The 1.x header extension block (minor versions >= 1).
        public static let extensionBytes = 65_536
    }

    /// Smallest possible file: magic, version, fingerprint, 5 one-byte fields, CRC.
    public static let minimumFileLength = 4 + 1 + fingerprintLength + 5 + 4

    /// Everything the header says, and where the sections lie; `inspect` returns it.
    public struct Header: Equatable, Sendable {
        public var majorVersion: Int
        public var minorVersion: Int
        public var modelFingerprint: [UInt8]
        public var width: Int
        public var height: Int
        public var colorType: ColorType
        public var bitDepth: Int
        public var tileSize: Int
        public var latentDim: Int
        public var encoding: LatentEncoding
        /// The latent payload is a zlib stream (otherwise the bytes are stored as they are).
        public var payloadCompressed: Bool
        public var hasAlpha: Bool
        /// Bytes of the 1.x extension block (0 in 1.0 files): metadata records from 1.1 on.
        public var extensionLength: Int
        /// Offset of the extension block's contents (after its length varint; 0 without one).
        public var extensionOffset: Int
        /// The metadata records of the extension block (`decode` gives their contents).
        public var metadata: [MetadataBlock.Entry] = []
        /// Offset of the latent payload: the header's length.
        public var payloadOffset: Int
        /// Bytes of the latent payload in the file.
        public var payloadLength: Int
        /// Bytes of the latent payload once decompressed: tiles x latentDim x element size.
        public var payloadRawLength: Int
        /// Bytes of the compressed alpha plane in the file (0 without alpha).
        public var alphaLength: Int
        /// Bytes of the alpha plane once decompressed (width x height, or 0).
        public var alphaRawLength: Int
        public var fileLength: Int
        public var crc32: UInt32

        public var tilesAcross: Int { (width + tileSize - 1) / tileSize }
        public var tilesDown: Int { (height + tileSize - 1) / tileSize }
        public var tileCount: Int { tilesAcross * tilesDown }
        public var latentCount: Int { tileCount * latentDim }
        /// Whole-file bits per original pixel.
        public var bitsPerPixel: Double { Double(fileLength * 8) / Double(width * height) }
    }

    /// Bytes per stored latent value.
    static func elementSize(_ encoding: LatentEncoding) -> Int { encoding == .float16 ? 2 : 1 }

    /// Whether PNG allows `bitDepth` with `colorType`.
    public static func isValid(colorType: ColorType, bitDepth: Int) -> Bool {
        switch colorType {
        case .gray: return [1, 2, 4, 8, 16].contains(bitDepth)
        case .palette: return [1, 2, 4, 8].contains(bitDepth)
        case .rgb, .grayAlpha, .rgba: return bitDepth == 8 || bitDepth == 16
        }
    }
}

/// Writing and reading the bytes.
public enum LatentFileCodec {
    typealias Limits = LatentFile.Limits

    // MARK: Varints

    static func appendVarint(_ value: Int, to out: inout [UInt8]) {
        precondition(value >= 0)
        var v = UInt64(value)
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    // MARK: Encode

    static func encode(_ file: LatentFile) throws -> [UInt8] {
        func refuse(_ reason: String) -> LatentFileError { .invalidRequest(path: "<memory>", reason: reason) }
        guard file.modelFingerprint.count == LatentFile.fingerprintLength else {
            throw refuse("the model fingerprint has \(file.modelFingerprint.count) bytes, expected \(LatentFile.fingerprintLength) (or the bundle's 16)")
        }
        guard (1...Limits.side).contains(file.width), (1...Limits.side).contains(file.height) else {
            throw refuse("image size \(file.width)x\(file.height) is outside 1...\(Limits.side) on a side")
        }
        guard file.width * file.height <= Limits.pixels else {
            throw refuse("image size \(file.width)x\(file.height) has more than \(Limits.pixels) pixels")
        }
        guard LatentFile.isValid(colorType: file.colorType, bitDepth: file.bitDepth) else {
            throw refuse("bit depth \(file.bitDepth) is not valid for PNG colour type \(file.colorType.rawValue) (\(file.colorType))")
        }
        guard Limits.tileSizes.contains(file.tileSize), file.tileSize & (file.tileSize - 1) == 0 else {
            throw refuse("tile size \(file.tileSize) is not a power of two in \(Limits.tileSizes)")
        }
        guard (1...Limits.latentDim).contains(file.latentDim) else {
            throw refuse("latent size \(file.latentDim) is outside 1...\(Limits.latentDim)")
        }
        let tiles = file.tileCount
        let count = tiles * file.latentDim
        guard file.latents.count == count else {
            throw refuse("\(file.latents.count) latent values, expected \(count) (\(file.tilesAcross)x\(file.tilesDown) tiles x \(file.latentDim))")
        }
        let size = LatentFile.elementSize(file.encoding)
        guard count * size <= Limits.payloadBytes else {
            throw refuse("the latents need \(count * size) bytes, more than the limit of \(Limits.payloadBytes)")
        }
        if let alpha = file.alpha, alpha.count != file.width * file.height {
            throw refuse("the alpha plane has \(alpha.count) bytes, expected \(file.width * file.height)")
        }
        let metadata = try MetadataBlock.encode(file.metadata)

        var codes = [UInt16](repeating: 0, count: count)
        switch file.encoding {
        case .float16:
            for (i, v) in file.latents.enumerated() {
                let h = Float16(v)
                guard h.isFinite else {
                    throw refuse("latent value \(v) (tile \(i / file.latentDim), dimension \(i % file.latentDim)) is not a finite float16")
                }
                codes[i] = h.bitPattern
            }
        case .uint8:
            guard let q = file.quantization else {
                throw refuse("uint8 latents need the model's quantisation table (scale and offset)")
            }
            try checkQuantization(q, latentDim: file.latentDim, path: "<memory>", request: true)
            for (i, v) in file.latents.enumerated() {
                guard v.isFinite else {
                    throw refuse("latent value \(v) (tile \(i / file.latentDim), dimension \(i % file.latentDim)) is not finite")
                }
                codes[i] = UInt16(q.code(v, dimension: i % file.latentDim))
            }
        }
        let raw = LatentPayloadLayout.format.arrange(codes, bytesPerValue: size, tiles: tiles, dim: file.latentDim)
        let packed = Zlib.compress(raw, level: 9)
        let compressed = packed.count < raw.count
        let alphaPacked = file.alpha.map { Zlib.compress($0, level: 9) }

        var out = LatentFile.magic
        out.append(UInt8(LatentFile.majorVersion << 4 | (file.metadata.isEmpty ? 0 : LatentFile.minorVersion)))
        out += file.modelFingerprint
        appendVarint(file.width, to: &out)
        appendVarint(file.height, to: &out)
        out.append(file.colorType.rawValue << 4 | UInt8(file.bitDepth.trailingZeroBitCount))
        var coding = file.encoding.rawValue
        if compressed { coding |= 0x04 }
        if alphaPacked != nil { coding |= 0x08 }
        coding |= UInt8(file.tileSize.trailingZeroBitCount) << 4
        out.append(coding)
        appendVarint(file.latentDim, to: &out)
        if !file.metadata.isEmpty {
            appendVarint(metadata.count, to: &out)
            out += metadata
        }
        if let alphaPacked { appendVarint(alphaPacked.count, to: &out) }
        out += compressed ? packed : raw
        if let alphaPacked { out += alphaPacked }
        let crc = Zlib.crc32(out)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return out
    }

    public static func checkQuantization(_ q: LatentQuantization, latentDim: Int, path: String, request: Bool) throws {
        func fail(_ reason: String) -> LatentFileError {
            request ? .invalidRequest(path: path, reason: reason) : .quantizationRequired(path: path, reason: reason)
        }
        guard q.scale.count == latentDim, q.offset.count == latentDim else {
            throw fail("the quantisation table has \(q.scale.count) scales and \(q.offset.count) offsets, the latent size is \(latentDim)")
        }
        for d in 0..<latentDim where !(q.scale[d].isFinite && q.scale[d] > 0 && q.offset[d].isFinite) {
            throw fail("the quantisation table's dimension \(d) has scale \(q.scale[d]) and offset \(q.offset[d]) (need a finite positive scale and a finite offset)")
        }
    }

    // MARK: Parse

    /// A reader over the file's bytes up to the CRC (the 2.x reader uses it too).
    struct Cursor {
        let bytes: [UInt8]
        let end: Int  // the CRC's offset
        let path: String
        var at: Int

        mutating func byte() throws -> UInt8 {
            guard at < end else { throw LatentFileError.malformed(path: path, reason: "the header runs into the checksum at byte \(end)") }
            defer { at += 1 }
            return bytes[at]
        }

        mutating func varint(_ field: String) throws -> Int {
            let start = at
            var value = 0
            for k in 0..<Limits.varintBytes {
                let b = try byte()
                value |= Int(b & 0x7F) << (7 * k)
                if b & 0x80 == 0 {
                    if b == 0 && k > 0 {
                        throw LatentFileError.malformed(path: path, reason: "\(field) at byte \(start) is not minimally encoded")
                    }
                    return value
                }
            }
            throw LatentFileError.malformed(path: path, reason: "\(field) at byte \(start) is longer than \(Limits.varintBytes) bytes")
        }
    }

    /// Refuses bytes that do not start like a latent file (the first 4 bytes suffice; a
    /// shorter prefix of the magic is a truncated file). Readers call it on the first bytes
    /// before reading more.
    public static func checkSignature(_ bytes: [UInt8], path: String) throws {
        let n = bytes.count
        let magic = LatentFile.magic
        if n < magic.count {
            if n > 0 && Array(bytes) == Array(magic.prefix(n)) {
                throw LatentFileError.truncated(path: path, expected: LatentFile.minimumFileLength, found: n)
            }
            throw LatentFileError.notALatentFile(path: path, reason: n == 0 ? "empty file" : "bad magic")
        }
        guard Array(bytes[0..<4]) == magic else {
            if Array(bytes[0..<4]) == Array(BundleHeader.magic[0..<4]) {
                throw LatentFileError.notALatentFile(path: path, reason: "this is a model bundle (.aemodel)")
            }
            if bytes[0] == magic[0] && bytes[1] == magic[1] && bytes[2] == magic[2] {
                throw LatentFileError.notALatentFile(path: path, reason: "damaged signature")
            }
            throw LatentFileError.notALatentFile(path: path, reason: "bad magic")
        }
    }

    /// Checks the whole file and returns its header, the decompressed payload and alpha,
    /// and the metadata records.
    static func parse(_ bytes: [UInt8], path: String)
        throws -> (header: LatentFile.Header, payload: [UInt8], alpha: [UInt8]?, metadata: [MetadataRecord]) {
        let n = bytes.count
        // 1. Signature.
        try checkSignature(bytes, path: path)
        // 2. Version.
        guard n > 4 else { throw LatentFileError.truncated(path: path, expected: LatentFile.minimumFileLength, found: n) }
        let major = Int(bytes[4] >> 4), minor = Int(bytes[4] & 0x0F)
        guard major == LatentFile.majorVersion else {
            // A 2.x file is one this type cannot hold (`LatentFiles` reads both); any other
            // major is one no reader of this package knows.
            let known = major == CodedLatentFile.majorVersion ? [LatentFile.majorVersion] : LatentFiles.supportedMajors
            throw LatentFileError.unsupportedVersion(path: path, major: major, minor: minor, supportedMajors: known)
        }
        // 3. Length and checksum.
        guard n >= LatentFile.minimumFileLength else {
            throw LatentFileError.truncated(path: path, expected: LatentFile.minimumFileLength, found: n)
        }
        let end = n - 4
        let stored = UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16 | UInt32(bytes[end + 3]) << 24
        let computed = bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard stored == computed else {
            // A stored payload implies the file's length: name the truncation when it is one.
            if let expected = try? impliedLength(bytes, path: path), expected > n {
                throw LatentFileError.truncated(path: path, expected: expected, found: n)
            }
            throw LatentFileError.checksumMismatch(path: path, stored: stored, computed: computed)
        }
        // 4. Header fields and limits.
        var header = try parseHeader(bytes, path: path)
        header.crc32 = stored
        // 5. Metadata records (minor versions >= 1), payload and alpha.
        let block = bytes[header.extensionOffset ..< header.extensionOffset + header.extensionLength]
        let (metadata, entries) = try MetadataBlock.decode(block, path: path)
        header.metadata = entries
        let payloadBytes = Array(bytes[header.payloadOffset ..< header.payloadOffset + header.payloadLength])
        var payload = payloadBytes
        if header.payloadCompressed {
            do {
                payload = try Zlib.decompress(payloadBytes, expectedSize: header.payloadRawLength, maxSize: header.payloadRawLength)
            } catch let error as ZlibError {
                throw LatentFileError.malformed(path: path, reason: "latent payload: \(error)")
            }
        }
        var alpha: [UInt8]?
        if header.hasAlpha {
            let start = header.payloadOffset + header.payloadLength
            do {
                alpha = try Zlib.decompress(Array(bytes[start ..< start + header.alphaLength]),
                                            expectedSize: header.alphaRawLength, maxSize: header.alphaRawLength)
            } catch let error as ZlibError {
                throw LatentFileError.malformed(path: path, reason: "alpha plane: \(error)")
            }
        }
        return (header, payload, alpha, metadata)
    }

    /// For a file whose checksum failed: the length its header implies, when the latent
    /// payload is stored and there is no alpha plane (else nil).
    private static func impliedLength(_ bytes: [UInt8], path: String) throws -> Int? {
        let h = try parseHeader(bytes, path: path, checkLength: false)
        guard !h.payloadCompressed && !h.hasAlpha else { return nil }
        return h.payloadOffset + h.payloadRawLength + 4
    }

    /// Header fields, limits and section sizes (the CRC is checked by the caller).
    private static func parseHeader(_ bytes: [UInt8], path: String, checkLength: Bool = true) throws -> LatentFile.Header {
        func malformed(_ reason: String) -> LatentFileError { .malformed(path: path, reason: reason) }
        func limit(_ what: String, _ value: Int, _ max: Int) -> LatentFileError {
            .limitExceeded(path: path, what: what, value: value, limit: max)
        }
        let n = bytes.count
        var c = Cursor(bytes: bytes, end: n - 4, path: path, at: 4)
        let image = try LatentImageHeader.read(&c, path: path)
        let (version, fingerprint, width, height) = (image.version, image.fingerprint, image.width, image.height)
        let (colorType, bitDepth) = (image.colorType, image.bitDepth)
        let coding = try c.byte()
        guard let encoding = LatentFile.LatentEncoding(rawValue: coding & 0x03) else {
            throw malformed("unknown latent encoding \(coding & 0x03)")
        }
        let compressed = coding & 0x04 != 0
        let hasAlpha = coding & 0x08 != 0
        let tileLog = Int(coding >> 4)
        let tileSize = 1 << tileLog
        guard Limits.tileSizes.contains(tileSize) else {
            throw malformed("tile size \(tileSize) is outside \(Limits.tileSizes)")
        }
        let latentDim = try c.varint("latent size")
        guard latentDim >= 1 else { throw malformed("latent size is 0") }
        if latentDim > Limits.latentDim { throw limit("latent size", latentDim, Limits.latentDim) }
        var extensionLength = 0, extensionOffset = 0
        if version & 0x0F > 0 {
            // Minor versions >= 1: a length-prefixed block of metadata records (parsed by `parse`).
            extensionLength = try c.varint("extension length")
            extensionOffset = c.at
            if extensionLength > Limits.extensionBytes { throw limit("header extension", extensionLength, Limits.extensionBytes) }
            guard extensionLength <= c.end - c.at else { throw malformed("the header extension runs past the end of the file") }
            c.at += extensionLength
        }
        let alphaLength = hasAlpha ? try c.varint("alpha length") : 0
        let tiles = ((width + tileSize - 1) / tileSize) * ((height + tileSize - 1) / tileSize)
        let rawLength = tiles * latentDim * LatentFile.elementSize(encoding)
        if rawLength > Limits.payloadBytes { throw limit("latent payload (bytes)", rawLength, Limits.payloadBytes) }
        let payloadOffset = c.at
        let available = c.end - payloadOffset
        if checkLength {
            guard alphaLength <= available else {
                throw malformed("the alpha plane's \(alphaLength) bytes do not fit in the file's \(available) remaining bytes")
            }
        }
        let payloadLength = available - alphaLength
        if checkLength {
            if compressed {
                // zlib's smallest stream is 8 bytes; keeping it must have saved bytes.
                guard payloadLength >= 8, payloadLength < rawLength else {
                    throw malformed("compressed latent payload of \(payloadLength) bytes for \(rawLength) bytes of latents")
                }
                guard rawLength <= payloadLength * Zlib.maxRatio + 64 else {
                    throw malformed("\(payloadLength) compressed bytes cannot hold \(rawLength) bytes of latents")
                }
            } else if payloadLength != rawLength {
                throw malformed("stored latent payload is \(payloadLength) bytes, expected \(rawLength) (\(tiles) tiles x \(latentDim) x \(LatentFile.elementSize(encoding)) bytes)")
            }
            if hasAlpha {
                guard alphaLength >= 8, width * height <= alphaLength * Zlib.maxRatio + 64 else {
                    throw malformed("\(alphaLength) compressed bytes cannot hold a \(width)x\(height) alpha plane")
                }
            }
        }
        return LatentFile.Header(
            majorVersion: Int(version >> 4), minorVersion: Int(version & 0x0F), modelFingerprint: fingerprint,
            width: width, height: height, colorType: colorType, bitDepth: bitDepth, tileSize: tileSize,
            latentDim: latentDim, encoding: encoding, payloadCompressed: compressed, hasAlpha: hasAlpha,
            extensionLength: extensionLength, extensionOffset: extensionOffset, payloadOffset: payloadOffset, payloadLength: payloadLength,
            payloadRawLength: rawLength, alphaLength: alphaLength, alphaRawLength: hasAlpha ? width * height : 0,
            fileLength: n, crc32: 0)
    }

    // MARK: Decode

    static func decode(_ bytes: [UInt8], path: String, quantization: LatentQuantization?) throws -> LatentFile {
        let (h, payload, alpha, metadata) = try parse(bytes, path: path)
        let size = LatentFile.elementSize(h.encoding)
        let codes = LatentPayloadLayout.format.unarrange(payload, bytesPerValue: size, tiles: h.tileCount, dim: h.latentDim)
        var latents = [Float](repeating: 0, count: codes.count)
        var q: LatentQuantization?
        switch h.encoding {
        case .float16:
            for (i, code) in codes.enumerated() {
                let v = Float16(bitPattern: code)
                guard v.isFinite else {
                    throw LatentFileError.malformed(path: path, reason: "latent value of tile \(i / h.latentDim), dimension \(i % h.latentDim) is not finite (float16 bits \(String(code, radix: 16)))")
                }
                latents[i] = Float(v)
            }
        case .uint8:
            guard let quantization else {
                throw LatentFileError.quantizationRequired(path: path, reason: "the latents are quantised to uint8: decoding them needs the model's quantisation table")
            }
            try checkQuantization(quantization, latentDim: h.latentDim, path: path, request: false)
            for (i, code) in codes.enumerated() {
                latents[i] = quantization.value(UInt8(code), dimension: i % h.latentDim)
            }
            q = quantization
        }
        return LatentFile(modelFingerprint: h.modelFingerprint, width: h.width, height: h.height,
                          colorType: h.colorType, bitDepth: h.bitDepth, tileSize: h.tileSize,
                          latentDim: h.latentDim, encoding: h.encoding, latents: latents,
                          quantization: q, alpha: alpha, metadata: metadata)
    }
}
