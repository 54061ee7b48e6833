import CWebP

/// Why a WebP could not be decoded.
public enum WebPError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The bytes are not a RIFF container of type WEBP.
    case notWebP
    /// libwebp refused the data (its status, in words).
    case decodeFailed(String)
    /// The image is larger than the caller's pixel limit.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// An animation: the codec takes still images.
    case animated
    /// Encoding refused the image or settings, or libwebp failed (`WebPImage.encode`).
    case encodeFailed(String)

    public var description: String {
        switch self {
        case .notWebP: return "not a WebP file (no RIFF/WEBP signature)"
        case .decodeFailed(let m): return "cannot decode WebP: \(m)"
        case .tooLarge(let w, let h, let limit): return "WebP is \(w)x\(h), over the \(limit)-pixel limit"
        case .animated: return "animated WebP is not supported: extract one frame first (e.g. with webpmux)"
        case .encodeFailed(let m): return "cannot encode WebP: \(m)"
        }
    }
}

/// WebP input (lossy or lossless, with or without alpha) through libwebp. Images with
/// alpha decode to RGBA, the others to RGB, 8 bits per sample. Metadata chunks (ICC,
/// EXIF, XMP) are not read.
///
/// Decoded images are `PNGImage`s: the 8-bit raster type the codec takes.
public enum WebPImage {
    /// What the WebP header says, read without decoding the pixels.
    public struct Header: Equatable, Sendable {
        public var width: Int
        public var height: Int
        /// 3 (RGB) or 4 (RGBA): the channels `decode` gives.
        public var channels: Int
        public var lossless: Bool
    }

    /// "RIFF", the container's length (any), "WEBP".
    public static func isWebP(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 12 && Array(prefix[0..<4]) == Array("RIFF".utf8) && Array(prefix[8..<12]) == Array("WEBP".utf8)
    }

    /// The header of the WebP in `data`.
    public static func header(of data: [UInt8]) throws -> Header {
        guard isWebP(data) else { throw WebPError.notWebP }
        var features = WebPBitstreamFeatures()
        let status = data.withUnsafeBufferPointer { WebPGetFeatures($0.baseAddress, $0.count, &features) }
        guard status == VP8_STATUS_OK else { throw WebPError.decodeFailed(text(status)) }
        guard features.has_animation == 0 else { throw WebPError.animated }
        return Header(width: Int(features.width), height: Int(features.height),
                      channels: features.has_alpha != 0 ? 4 : 3, lossless: features.format == 2)
    }

    /// Decodes a WebP to 8-bit RGB or RGBA samples. Images with more than `maxPixels`
    /// pixels throw `tooLarge` before any allocation (libwebp's own buffers follow the
    /// image's size; WebP images are at most 16,383 pixels a side).
    public static func decode(_ data: [UInt8], maxPixels: Int = PNGImage.defaultMaxPixels) throws -> PNGImage {
        let header = try header(of: data)
        let (area, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, area <= maxPixels else {
            throw WebPError.tooLarge(width: header.width, height: header.height, limit: maxPixels)
        }
        var pixels = [UInt8](repeating: 0, count: area * header.channels)
        var config = WebPDecoderConfig()
        guard WebPInitDecoderConfig(&config) != 0 else { throw WebPError.decodeFailed("libwebp version mismatch") }
        let status = pixels.withUnsafeMutableBufferPointer { out -> VP8StatusCode in
            config.output.colorspace = header.channels == 4 ? MODE_RGBA : MODE_RGB
            config.output.is_external_memory = 1
            config.output.u.RGBA.rgba = out.baseAddress
            config.output.u.RGBA.stride = Int32(header.width * header.channels)
            config.output.u.RGBA.size = out.count
            defer { WebPFreeDecBuffer(&config.output) }
            return data.withUnsafeBufferPointer { WebPDecode($0.baseAddress, $0.count, &config) }
        }
        guard status == VP8_STATUS_OK else { throw WebPError.decodeFailed(text(status)) }
        return PNGImage(width: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }

    /// libwebp's status in words.
    private static func text(_ status: VP8StatusCode) -> String {
        switch status {
        case VP8_STATUS_OUT_OF_MEMORY: return "out of memory"
        case VP8_STATUS_INVALID_PARAM: return "invalid parameter"
        case VP8_STATUS_BITSTREAM_ERROR: return "damaged bitstream"
        case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature"
        case VP8_STATUS_NOT_ENOUGH_DATA: return "truncated (not enough data)"
        default: return "libwebp status \(status.rawValue)"
        }
    }
}
