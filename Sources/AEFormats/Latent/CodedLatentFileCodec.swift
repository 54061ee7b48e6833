/// The byte layout of format 2.x latent files (`Specs/latent-file.md`, "Version 2.0"):
/// header fields, flags, sections, limits and the checks a reader makes. The magic,
/// varints, pixel format, alpha plane, CRC and limits are those of 1.x.
extension CodedLatentFile {
    /// The major version this implementation reads and writes.
    public static let majorVersion = 2
    /// The highest minor version this implementation writes: 1 for a file with metadata
    /// (flags bit 1 and an extension block of metadata records, Specs/latent-file.md
    /// section 13), 0 without.
    public static let minorVersion = 1

    /// `flags` bit 0: an alpha plane (varint length, zlib stream) precedes the stream.
    static let alphaFlag: UInt8 = 0x01
    /// `flags` bit 1: an extension block (varint length, bytes) follows the flags.
    static let extensionFlag: UInt8 = 0x02

    /// Bytes of the smallest stream: the rANS coder's final state alone.
    public static let minimumStreamLength = 4
    /// Smallest possible file: magic, version, fingerprint, width, height, pixel format,
    /// flags, a 4-byte stream, CRC.
    public static let minimumFileLength = 4 + 1 + LatentFile.fingerprintLength + 4 + minimumStreamLength + 4

    /// Everything the header says, and where the sections lie; `inspect` returns it.
    public struct Header: Equatable, Sendable {
        public var majorVersion: Int
        public var minorVersion: Int
        public var modelFingerprint: [UInt8]
        public var width: Int
        public var height: Int
        public var colorType: LatentFile.ColorType
        public var bitDepth: Int
        /// The flags byte as stored.
        public var flags: UInt8
        /// Bytes of the header: from the magic to the end of the extension block (17 for a
        /// 32x32 image without extension).
        public var headerLength: Int
        /// Bytes inside the extension block (0 when absent).
        public var extensionLength: Int
        /// The metadata records of the extension block (minor versions >= 1; a 2.0 file's
        /// block, which has no defined contents, is skipped).
        public var metadata: [MetadataBlock.Entry] = []
        public var hasAlpha: Bool
        /// Offset of the compressed alpha plane (after its length varint; 0 without alpha).
        public var alphaOffset: Int
        /// Bytes of the compressed alpha plane in the file (0 without alpha).
        public var alphaLength: Int
        /// Bytes of the alpha plane once decompressed (width x height, or 0).
        public var alphaRawLength: Int
        /// Offset and length of the entropy-coded stream (it runs to the CRC).
        public var streamOffset: Int
        public var streamLength: Int
        public var fileLength: Int
        public var crc32: UInt32

        public var hasExtension: Bool { flags & CodedLatentFile.extensionFlag != 0 }
        /// Whole-file bits per original pixel.
        public var bitsPerPixel: Double { Double(fileLength * 8) / Double(width * height) }
    }
}

/// Writing and reading the bytes of 2.x files.
enum CodedLatentFileCodec {
    typealias Limits = LatentFile.Limits

    // MARK: Encode

    static func encode(_ file: CodedLatentFile) throws -> [UInt8] {
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
        if let alpha = file.alpha, alpha.count != file.width * file.height {
            throw refuse("the alpha plane has \(alpha.count) bytes, expected \(file.width * file.height)")
        }
        let metadata = try MetadataBlock.encode(file.metadata)
        guard file.stream.count >= CodedLatentFile.minimumStreamLength else {
            throw refuse("the entropy-coded stream has \(file.stream.count) bytes; a rANS stream has at least \(CodedLatentFile.minimumStreamLength)")
        }

        var out = LatentFile.magic
        out.append(UInt8(CodedLatentFile.majorVersion << 4 | (metadata.isEmpty ? 0 : CodedLatentFile.minorVersion)))
        out += file.modelFingerprint
        LatentFileCodec.appendVarint(file.width, to: &out)
        LatentFileCodec.appendVarint(file.height, to: &out)
        out.append(file.colorType.rawValue << 4 | UInt8(file.bitDepth.trailingZeroBitCount))
        var flags: UInt8 = 0
        if file.alpha != nil { flags |= CodedLatentFile.alphaFlag }
        if !metadata.isEmpty { flags |= CodedLatentFile.extensionFlag }
        out.append(flags)
        if !metadata.isEmpty {
            LatentFileCodec.appendVarint(metadata.count, to: &out)
            out += metadata
        }
        if let alpha = file.alpha {
            let packed = Zlib.compress(alpha, level: 9)
            LatentFileCodec.appendVarint(packed.count, to: &out)
            out += packed
        }
        out += file.stream
        let crc = Zlib.crc32(out)
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return out
    }

    // MARK: Parse

    /// Checks the whole file and returns its header, the inflated alpha plane and the
    /// metadata records.
    static func parse(_ bytes: [UInt8], path: String)
        throws -> (header: CodedLatentFile.Header, alpha: [UInt8]?, metadata: [MetadataRecord]) {
        let n = bytes.count
        // 1. Signature.
        try LatentFileCodec.checkSignature(bytes, path: path)
        // 2. Version.
        guard n > 4 else { throw LatentFileError.truncated(path: path, expected: CodedLatentFile.minimumFileLength, found: n) }
        let major = Int(bytes[4] >> 4), minor = Int(bytes[4] & 0x0F)
        guard major == CodedLatentFile.majorVersion else {
            let known = major == LatentFile.majorVersion ? [CodedLatentFile.majorVersion] : LatentFiles.supportedMajors
            throw LatentFileError.unsupportedVersion(path: path, major: major, minor: minor, supportedMajors: known)
        }
        // 3. Length and checksum (nothing in a 2.x header implies the file's length).
        guard n >= CodedLatentFile.minimumFileLength else {
            throw LatentFileError.truncated(path: path, expected: CodedLatentFile.minimumFileLength, found: n)
        }
        let end = n - 4
        let stored = UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16 | UInt32(bytes[end + 3]) << 24
        let computed = bytes.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard stored == computed else {
            throw LatentFileError.checksumMismatch(path: path, stored: stored, computed: computed)
        }
        // 4 and 5. Header fields, limits and sections.
        var header = try parseHeader(bytes, path: path)
        header.crc32 = stored
        // 6. The metadata records (minor versions >= 1), and the alpha plane, inflated to
        // exactly width x height bytes.
        var metadata: [MetadataRecord] = []
        if header.minorVersion >= 1 {
            let block = bytes[header.headerLength - header.extensionLength ..< header.headerLength]
            (metadata, header.metadata) = try MetadataBlock.decode(block, path: path)
        }
        var alpha: [UInt8]?
        if header.hasAlpha {
            do {
                alpha = try Zlib.decompress(Array(bytes[header.alphaOffset ..< header.alphaOffset + header.alphaLength]),
                                            expectedSize: header.alphaRawLength, maxSize: header.alphaRawLength)
            } catch let error as ZlibError {
                throw LatentFileError.malformed(path: path, reason: "alpha plane: \(error)")
            }
        }
        return (header, alpha, metadata)
    }

    /// Header fields, limits and section sizes (the CRC is checked by the caller).
    private static func parseHeader(_ bytes: [UInt8], path: String) throws -> CodedLatentFile.Header {
        func malformed(_ reason: String) -> LatentFileError { .malformed(path: path, reason: reason) }
        func limit(_ what: String, _ value: Int, _ max: Int) -> LatentFileError {
            .limitExceeded(path: path, what: what, value: value, limit: max)
        }
        let n = bytes.count
        var c = LatentFileCodec.Cursor(bytes: bytes, end: n - 4, path: path, at: 4)
        let image = try LatentImageHeader.read(&c, path: path)
        let (version, fingerprint, width, height) = (image.version, image.fingerprint, image.width, image.height)
        let (colorType, bitDepth) = (image.colorType, image.bitDepth)
        let flags = try c.byte()
        let known = CodedLatentFile.alphaFlag | CodedLatentFile.extensionFlag
        guard flags & ~known == 0 else {
            throw malformed("flags 0x\(SHA256.hex([flags])) set reserved bits (only bits 0 and 1 are defined)")
        }
        var extensionLength = 0
        if flags & CodedLatentFile.extensionFlag != 0 {
            extensionLength = try c.varint("extension length")
            if extensionLength > Limits.extensionBytes { throw limit("header extension", extensionLength, Limits.extensionBytes) }
            guard extensionLength <= c.end - c.at else { throw malformed("the header extension runs past the end of the file") }
            c.at += extensionLength
        }
        let headerLength = c.at
        let hasAlpha = flags & CodedLatentFile.alphaFlag != 0
        var alphaOffset = 0, alphaLength = 0
        if hasAlpha {
            alphaLength = try c.varint("alpha length")
            alphaOffset = c.at
            guard alphaLength <= c.end - c.at else {
                throw malformed("the alpha plane's \(alphaLength) bytes do not fit in the file's \(c.end - c.at) remaining bytes")
            }
            guard alphaLength >= 8, width * height <= alphaLength * Zlib.maxRatio + 64 else {
                throw malformed("\(alphaLength) compressed bytes cannot hold a \(width)x\(height) alpha plane")
            }
            c.at += alphaLength
        }
        let streamLength = c.end - c.at
        guard streamLength >= CodedLatentFile.minimumStreamLength else {
            throw malformed("the entropy-coded stream is \(streamLength) bytes; a rANS stream has at least \(CodedLatentFile.minimumStreamLength)")
        }
        return CodedLatentFile.Header(
            majorVersion: Int(version >> 4), minorVersion: Int(version & 0x0F), modelFingerprint: fingerprint,
            width: width, height: height, colorType: colorType, bitDepth: bitDepth, flags: flags,
            headerLength: headerLength, extensionLength: extensionLength, hasAlpha: hasAlpha,
            alphaOffset: alphaOffset, alphaLength: alphaLength, alphaRawLength: hasAlpha ? width * height : 0,
            streamOffset: c.at, streamLength: streamLength, fileLength: n, crc32: 0)
    }

    // MARK: Decode

    static func decode(_ bytes: [UInt8], path: String) throws -> CodedLatentFile {
        let (h, alpha, metadata) = try parse(bytes, path: path)
        return CodedLatentFile(modelFingerprint: h.modelFingerprint, width: h.width, height: h.height,
                               colorType: h.colorType, bitDepth: h.bitDepth,
                               stream: Array(bytes[h.streamOffset ..< h.streamOffset + h.streamLength]),
                               alpha: alpha, metadata: metadata)
    }
}
