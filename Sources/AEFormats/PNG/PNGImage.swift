import CPNG

/// Why a PNG could not be decoded or encoded.
public enum PNGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The bytes do not start with the PNG signature.
    case notPNG
    /// libpng refused the data (its message: bad CRC, truncated IDAT...).
    case decodeFailed(String)
    /// The image is larger than the caller's pixel limit.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// Encoding failed, or the image cannot be encoded (libpng's message or ours).
    case encodeFailed(String)

    public var description: String {
        switch self {
        case .notPNG: return "not a PNG file (no PNG signature)"
        case .decodeFailed(let m): return "cannot decode PNG: \(m)"
        case .tooLarge(let w, let h, let limit): return "PNG is \(w)x\(h), over the \(limit)-pixel limit"
        case .encodeFailed(let m): return "cannot encode PNG: \(m)"
        }
    }
}

/// An 8-bit image as PNG holds it: `height` rows of `width` pixels of `channels`
/// interleaved samples (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA), row-major, top row first.
///
/// Decoding goes through libpng's simplified `png_image` API, which accepts every
/// PNG colour type, bit depth and interlacing, and converts to the requested
/// 8-bit sRGB layout: palette and gray expand to RGB, 16-bit samples are reduced
/// to 8 bits, files with an unusual gAMA are converted to sRGB, and when alpha is
/// dropped the image is composited onto `background`. 16-bit files without a gAMA or
/// sRGB chunk are taken as sRGB-encoded (`PNG_IMAGE_FLAG_16BIT_sRGB`), as written by
/// most tools, so a 16-bit sample `v` becomes about `v / 257` (libpng's default would
/// treat them as linear light and brighten them).
///
/// `bitDepth` is 8 for everything this version decodes; the field is there so a
/// 16-bit path (samples stored big-endian, two bytes each) can be added without
/// changing the type.
public struct PNGImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Samples per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    public var channels: Int
    /// Bits per sample: 8 (16 only for a future 16-bit path).
    public var bitDepth: Int
    /// The samples, row by row, `channels` per pixel interleaved (R, G, B, A).
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int = 8, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "PNG images are at least 1x1")
        precondition((1...4).contains(channels), "channels must be 1...4")
        precondition(bitDepth == 8 || bitDepth == 16, "bit depth must be 8 or 16")
        precondition(pixels.count == width * height * channels * bitDepth / 8, "pixel count does not match the size")
        self.width = width
        self.height = height
        self.channels = channels
        self.bitDepth = bitDepth
        self.pixels = pixels
    }

    /// What the PNG header says, read without decoding the pixels.
    public struct Header: Equatable, Sendable {
        public var width: Int
        public var height: Int
        /// 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (palette images count as RGB or RGBA).
        public var channels: Int
        /// 8, or 16 for 16-bit files (libpng's simplified API reports no finer detail).
        public var bitDepth: Int
        public var hasPalette: Bool
        /// The IHDR colour type: 0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA.
        public var colorType: Int
        /// The IHDR bit depth: 1, 2, 4, 8 or 16 bits per sample (per index for palettes).
        public var sampleDepth: Int
        /// Adam7 interlacing.
        public var interlaced: Bool
        /// Whether the image has an alpha channel or a tRNS chunk (`channels` 2 or 4).
        public var hasAlpha: Bool { channels == 2 || channels == 4 }
    }

    /// The default limit on width x height when decoding (about 134 megapixels), so a
    /// tiny file declaring a gigantic image cannot exhaust memory.
    public static let defaultMaxPixels = 1 << 27

    /// Largest PNG file the codec tools read (2 GiB), from a path or standard input.
    public static let maxFileBytes = 1 << 31

    // MARK: Decoding

    /// The header of the PNG in `data`.
    public static func header(of data: [UInt8]) throws -> Header {
        try data.withUnsafeBytes { raw in
            try withControl { image in
                try begin(image, raw)
                return header(of: image.pointee, raw)
            }
        }
    }

    /// Decodes a PNG to 8-bit samples.
    /// - Parameters:
    ///   - channels: 1...4 to convert to that layout (3 for RGB), nil to keep the file's own.
    ///   - background: the sRGB colour alpha is composited onto when `channels` drops alpha.
    ///   - maxPixels: images with more pixels than this throw `tooLarge` before any allocation.
    public static func decode(_ data: [UInt8], channels: Int? = nil,
                              background: (red: UInt8, green: UInt8, blue: UInt8) = (0, 0, 0),
                              maxPixels: Int = defaultMaxPixels) throws -> PNGImage {
        precondition(channels.map { (1...4).contains($0) } ?? true, "channels must be 1...4")
        if data.starts(with: signature) && PNGDeinterlace.isNeeded(data) {
            // libpng's simplified reader scrambles 16-bit Adam7 images reduced to 8 bits.
            return try decode(try PNGDeinterlace.deinterlaced(data, maxPixels: maxPixels), channels: channels,
                              background: background, maxPixels: maxPixels)
        }
        return try data.withUnsafeBytes { raw in
            try withControl { image in
                try begin(image, raw)
                let info = header(of: image.pointee, raw)
                let (area, overflow) = info.width.multipliedReportingOverflow(by: info.height)
                guard !overflow, area <= maxPixels else {
                    throw PNGError.tooLarge(width: info.width, height: info.height, limit: maxPixels)
                }
                let outChannels = channels ?? info.channels
                image.pointee.format = Self.format(channels: outChannels)
                image.pointee.flags |= flag16BitSRGB
                var color = png_color(red: background.red, green: background.green, blue: background.blue)
                var pixels = [UInt8](repeating: 0, count: area * outChannels)
                let ok = pixels.withUnsafeMutableBytes { out in
                    png_image_finish_read(image, &color, out.baseAddress, 0, nil)
                }
                guard ok != 0, image.pointee.warning_or_error & 0x03 <= 1 else {
                    throw PNGError.decodeFailed(message(image.pointee))
                }
                return PNGImage(width: info.width, height: info.height, channels: outChannels, pixels: pixels)
            }
        }
    }

    /// Reads and decodes the PNG file at `path` (see `decode`). File errors are
    /// `FileError`s; bad PNG data are `PNGError`s.
    public static func read(path: String, channels: Int? = nil, maxPixels: Int = defaultMaxPixels) throws -> PNGImage {
        try decode(try FileBytes.read(path), channels: channels, maxPixels: maxPixels)
    }

    // MARK: Encoding

    /// The image as PNG file bytes (8-bit samples, default compression). Minimal for
    /// now: no metadata chunks, no compression options.
    ///
    /// Written once into a buffer of libpng's worst-case size (`maximumEncodedSize`):
    /// asking libpng for the size first would compress the image twice.
    public func encoded() throws -> [UInt8] {
        guard bitDepth == 8 else { throw PNGError.encodeFailed("only 8-bit images can be encoded so far") }
        return try Self.withControl { image in
            image.pointee.width = UInt32(width)
            image.pointee.height = UInt32(height)
            image.pointee.format = Self.format(channels: channels)
            var output = [UInt8](repeating: 0, count: maximumEncodedSize)
            var size = output.count
            let ok = output.withUnsafeMutableBytes { out in
                pixels.withUnsafeBytes { raw in
                    png_image_write_to_memory(image, out.baseAddress, &size, 0, raw.baseAddress, 0, nil)
                }
            }
            guard ok != 0, size > 0, size <= output.count else { throw PNGError.encodeFailed(Self.message(image.pointee)) }
            output.removeLast(output.count - size)
            return output
        }
    }

    /// libpng's PNG_IMAGE_PNG_SIZE_MAX for this image (a macro Swift cannot import): the
    /// filtered rows (a filter byte each) through zlib's worst case, 12 bytes per IDAT chunk
    /// of PNG_ZBUF_SIZE (8,192), the signature, IHDR, gAMA, cHRM, IEND and one more IDAT.
    var maximumEncodedSize: Int {
        let filtered = height * (width * channels + 1)
        let zlib = filtered + (filtered + 7) >> 3 + (filtered + 63) >> 6 + 11
        return 8 + 25 + 16 + 44 + 12 + 12 + 12 * (zlib / 8192) + zlib
    }

    // MARK: libpng plumbing

    /// PNG_FORMAT_FLAG_* (macros built from other macros do not all import into Swift).
    private static let flagAlpha: UInt32 = 0x01, flagColor: UInt32 = 0x02
    private static let flagLinear: UInt32 = 0x04, flagColormap: UInt32 = 0x08
    /// PNG_IMAGE_FLAG_16BIT_sRGB: 16-bit files without colour-space chunks are sRGB.
    private static let flag16BitSRGB: UInt32 = 0x04

    /// The 12 bytes every complete PNG file ends with: the empty IEND chunk and its CRC.
    public static let endChunk: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    /// The 8 bytes every PNG file starts with.
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// PNG_FORMAT_GRAY / GA / RGB / RGBA for 1...4 channels.
    private static func format(channels: Int) -> UInt32 {
        switch channels {
        case 1: return 0
        case 2: return flagAlpha
        case 3: return flagColor
        default: return flagColor | flagAlpha
        }
    }

    /// The header from libpng's view of the image and the IHDR chunk, which libpng has
    /// checked by now and which the PNG specification puts first, at byte 8:
    /// length, "IHDR", width, height, bit depth (24), colour type (25), compression,
    /// filter, interlace method (28).
    private static func header(of image: png_image, _ raw: UnsafeRawBufferPointer) -> Header {
        let f = image.format
        let channels = (f & flagColor != 0 ? 3 : 1) + (f & flagAlpha != 0 ? 1 : 0)
        let ihdr = raw.count >= 29 && Array(raw[12..<16]) == Array("IHDR".utf8)
        let depth = ihdr ? Int(raw[24]) : (f & flagLinear != 0 ? 16 : 8)
        let colorType = ihdr ? Int(raw[25])
            : (f & flagColormap != 0 ? 3 : (f & flagColor != 0 ? 2 : 0) + (f & flagAlpha != 0 ? 4 : 0))
        return Header(width: Int(image.width), height: Int(image.height), channels: channels,
                      bitDepth: f & flagLinear != 0 ? 16 : 8, hasPalette: f & flagColormap != 0,
                      colorType: colorType, sampleDepth: depth, interlaced: ihdr && raw[28] != 0)
    }

    /// Runs `body` with a zeroed `png_image` (version set) at a fixed heap address, and
    /// frees libpng's state afterwards. libpng keeps a pointer to the `png_image` it
    /// was started with (for its error handling), so the struct must never be copied
    /// or moved between libpng calls: a Swift local could be.
    private static func withControl<R>(_ body: (UnsafeMutablePointer<png_image>) throws -> R) rethrows -> R {
        let image = UnsafeMutablePointer<png_image>.allocate(capacity: 1)
        image.initialize(to: png_image())
        image.pointee.version = UInt32(PNG_IMAGE_VERSION)
        image.pointee.opaque = nil
        defer {
            png_image_free(image)  // idempotent; finish_read and write free their state too
            image.deinitialize(count: 1)
            image.deallocate()
        }
        return try body(image)
    }

    /// `png_image_begin_read_from_memory`, with errors turned into `PNGError`.
    private static func begin(_ image: UnsafeMutablePointer<png_image>, _ raw: UnsafeRawBufferPointer) throws {
        guard raw.count >= 8, Array(raw[0..<8]) == signature else { throw PNGError.notPNG }
        guard png_image_begin_read_from_memory(image, raw.baseAddress, raw.count) != 0 else {
            throw PNGError.decodeFailed(message(image.pointee))
        }
    }

    /// The image's libpng message (a NUL-terminated char[64]).
    private static func message(_ image: png_image) -> String {
        var copy = image.message
        let text = withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libpng error" : text
    }
}
