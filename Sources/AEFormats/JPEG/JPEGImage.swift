import CJPEG

/// Why a JPEG could not be decoded.
public enum JPEGError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The bytes do not start with a JPEG's start-of-image marker (FF D8 FF).
    case notJPEG
    /// libjpeg refused the data, or the image data are damaged (libjpeg's message).
    case decodeFailed(String)
    /// The image is larger than the caller's pixel limit.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// A colour space the codec does not convert (CMYK, YCCK, unusual component counts).
    case unsupported(String)
    /// Encoding refused the image or settings, or libjpeg failed (`JPEGImage.encode`).
    case encodeFailed(String)

    public var description: String {
        switch self {
        case .notJPEG: return "not a JPEG file (no start-of-image marker)"
        case .decodeFailed(let m): return "cannot decode JPEG: \(m)"
        case .tooLarge(let w, let h, let limit): return "JPEG is \(w)x\(h), over the \(limit)-pixel limit"
        case .unsupported(let m): return "unsupported JPEG: \(m)"
        case .encodeFailed(let m): return "cannot encode JPEG: \(m)"
        }
    }
}

/// JPEG input through libjpeg-turbo (the `CJPEG` shim, which keeps libjpeg's longjmp
/// error handling in C). Gray files decode to one channel, YCbCr and RGB files to RGB,
/// 8 bits per sample; CMYK and YCCK files are refused (their conversion needs the
/// colour profile). The EXIF orientation is not applied: the pixels come as stored.
///
/// Decoded images are `PNGImage`s: the 8-bit raster type the codec takes, whatever the
/// file format was.
public enum JPEGImage {
    /// What the JPEG header says, read without decoding the pixels.
    public struct Header: Equatable, Sendable {
        public var width: Int
        public var height: Int
        /// 1 (gray) or 3 (RGB): the channels `decode` gives.
        public var channels: Int
        /// Multi-scan (progressive) coding.
        public var progressive: Bool
    }

    /// FF D8 (start of image) and the first byte of the next marker.
    public static let signature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// Most scans a file may have: a progressive file needs about ten; thousands of tiny
    /// scans would cost a pass over the whole image each.
    public static let maxScans = 500

    /// The header of the JPEG in `data`.
    public static func header(of data: [UInt8]) throws -> Header {
        guard data.starts(with: signature) else { throw JPEGError.notJPEG }
        var info = cjpeg_info()
        let status = data.withUnsafeBufferPointer { cjpeg_read_header($0.baseAddress, $0.count, &info) }
        guard status == 0 else { throw JPEGError.decodeFailed(message(&info)) }
        return Header(width: Int(info.width), height: Int(info.height), channels: try channels(info),
                      progressive: info.progressive != 0)
    }

    /// Decodes a JPEG to 8-bit gray or RGB samples. Images with more than `maxPixels`
    /// pixels throw `tooLarge` before any allocation; libjpeg's own memory is held to
    /// what an image of that size needs (a multi-scan file keeps every coefficient:
    /// 2 bytes each, 3 components, plus slack), so a file cannot make it allocate more.
    public static func decode(_ data: [UInt8], maxPixels: Int = PNGImage.defaultMaxPixels) throws -> PNGImage {
        let header = try header(of: data)
        let (area, overflow) = header.width.multipliedReportingOverflow(by: header.height)
        guard !overflow, area <= maxPixels else {
            throw JPEGError.tooLarge(width: header.width, height: header.height, limit: maxPixels)
        }
        var pixels = [UInt8](repeating: 0, count: area * header.channels)
        var info = cjpeg_info()
        let budget = 8 * area + (16 << 20)
        let status = data.withUnsafeBufferPointer { input in
            pixels.withUnsafeMutableBufferPointer { out in
                cjpeg_decode(input.baseAddress, input.count, Int32(header.channels), out.baseAddress, out.count,
                             budget, Int32(maxScans), &info)
            }
        }
        guard status == 0 else { throw JPEGError.decodeFailed(message(&info)) }
        return PNGImage(width: header.width, height: header.height, channels: header.channels, pixels: pixels)
    }

    /// The channels a file decodes to, or why it is not decoded.
    private static func channels(_ info: cjpeg_info) throws -> Int {
        switch (info.color_space, info.components) {
        case (1, 1): return 1  // JCS_GRAYSCALE
        case (2, 3), (3, 3): return 3  // JCS_RGB, JCS_YCbCr
        case (4, 4): throw JPEGError.unsupported("CMYK colour: convert it to RGB first")
        case (5, 4): throw JPEGError.unsupported("YCCK colour: convert it to RGB first")
        default: throw JPEGError.unsupported("\(info.components) components in colour space \(info.color_space)")
        }
    }

    /// The shim's message (a NUL-terminated char[200]).
    private static func message(_ info: inout cjpeg_info) -> String {
        let text = withUnsafeBytes(of: &info.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libjpeg error" : text
    }
}
