import Foundation

/// Bytes that are not an image of a format the tools read.
public struct UnrecognizedImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The first bytes (at most 8), shown in hex.
    public var signature: [UInt8]

    public init(signature: [UInt8]) { self.signature = Array(signature.prefix(8)) }

    public var description: String {
        guard !signature.isEmpty else { return "empty file, not a \(ImageFormat.names) image" }
        let shown = signature.map { SHA256.hex([$0]) }.joined(separator: " ")
        return "not a \(ImageFormat.names) image (starts with \(shown))"
    }
}

/// An image file of any format the tools read (`ImageFormat`), by its bytes: what its
/// header says, and its pixels in its own layout. Errors are the format's own
/// (`PNGError`, `JPEGError`, `WebPError`) or `UnrecognizedImageError`.
public enum ImageFile {
    /// What an image file's header says, read without decoding the pixels.
    public struct Header: Equatable, Sendable {
        public var format: ImageFormat
        public var width: Int
        public var height: Int
        /// The channels `decode` gives: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
        public var channels: Int
        /// The layout as a PNG colour type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6
        /// RGBA): JPEGs are 0 or 2, WebPs 2 or 6.
        public var colorType: Int
        /// Bits per sample in the file (1 to 16 for PNG; 8 for JPEG and WebP).
        public var sampleDepth: Int
    }

    /// The header of the image in `data`.
    public static func header(of data: [UInt8]) throws -> Header {
        switch ImageFormat.detect(data) {
        case .png:
            let h = try PNGImage.header(of: data)
            return Header(format: .png, width: h.width, height: h.height, channels: h.channels,
                          colorType: h.colorType, sampleDepth: h.sampleDepth)
        case .jpeg:
            let h = try JPEGImage.header(of: data)
            return Header(format: .jpeg, width: h.width, height: h.height, channels: h.channels,
                          colorType: h.channels == 1 ? 0 : 2, sampleDepth: 8)
        case .webp:
            let h = try WebPImage.header(of: data)
            return Header(format: .webp, width: h.width, height: h.height, channels: h.channels,
                          colorType: h.channels == 4 ? 6 : 2, sampleDepth: 8)
        case nil:
            throw UnrecognizedImageError(signature: data)
        }
    }

    /// Decodes the image in `data` to 8-bit samples in its own layout (`Header.channels`);
    /// images over `maxPixels` are refused before their pixels are allocated.
    public static func decode(_ data: [UInt8], maxPixels: Int = PNGImage.defaultMaxPixels) throws -> PNGImage {
        switch ImageFormat.detect(data) {
        case .png: return try PNGImage.decode(data, maxPixels: maxPixels)
        case .jpeg: return try JPEGImage.decode(data, maxPixels: maxPixels)
        case .webp: return try WebPImage.decode(data, maxPixels: maxPixels)
        case nil: throw UnrecognizedImageError(signature: data)
        }
    }

    /// The image as RGB: gray expands to R = G = B and alpha is composited onto black, as
    /// `PNGImage.decode(_:channels: 3)` does for PNGs (training crops take RGB).
    public static func decodeRGB(_ data: [UInt8], maxPixels: Int = PNGImage.defaultMaxPixels) throws -> PNGImage {
        if ImageFormat.detect(data) == .png { return try PNGImage.decode(data, channels: 3, maxPixels: maxPixels) }
        return try decode(data, maxPixels: maxPixels).rgb()
    }

    /// The image as RGBA: gray expands to R = G = B, a missing alpha is opaque (255). For
    /// comparisons (`aedec --reference`), where the two images' layouts may differ.
    public static func decodeRGBA(_ data: [UInt8], maxPixels: Int = PNGImage.defaultMaxPixels) throws -> PNGImage {
        if ImageFormat.detect(data) == .png { return try PNGImage.decode(data, channels: 4, maxPixels: maxPixels) }
        return try decode(data, maxPixels: maxPixels).rgba()
    }
}

extension PNGImage {
    /// The image with three channels (see `ImageFile.decodeRGB`). Alpha is composited
    /// onto black in linear light, as libpng does for PNGs: an sRGB sample c with alpha a
    /// becomes sRGB(linear(c) * a / 255) (libpng's approximate 8-bit tables give results
    /// about one step apart on average, more on dark samples).
    func rgb() -> PNGImage {
        let from = channels
        guard from != 3 else { return self }
        let hasAlpha = from == 2 || from == 4
        let linear = (0..<256).map { v -> Double in
            let x = Double(v) / 255
            return x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
        }
        func encoded(_ y: Double) -> UInt8 {
            let x = y <= 0.0031308 ? 12.92 * y : 1.055 * pow(y, 1 / 2.4) - 0.055
            return UInt8((min(max(x, 0), 1) * 255).rounded())
        }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            let s = i * from
            let alpha = hasAlpha ? Int(pixels[s + from - 1]) : 255
            for c in 0..<3 {
                let v = pixels[s + (from >= 3 ? c : 0)]
                out[3 * i + c] = alpha == 255 ? v : encoded(linear[Int(v)] * Double(alpha) / 255)
            }
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: out)
    }

    /// The image with four channels (see `ImageFile.decodeRGBA`).
    func rgba() -> PNGImage {
        let from = channels
        guard from != 4 else { return self }
        var out = [UInt8](repeating: 255, count: width * height * 4)
        for i in 0..<(width * height) {
            let s = i * from
            for c in 0..<3 { out[4 * i + c] = pixels[s + (from >= 3 ? c : 0)] }
            if from == 2 { out[4 * i + 3] = pixels[s + 1] }
        }
        return PNGImage(width: width, height: height, channels: 4, pixels: out)
    }
}
