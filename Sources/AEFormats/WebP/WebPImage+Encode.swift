import CWebP

extension WebPImage {
    /// Encodes an 8-bit RGB image as a lossy WebP at `quality` (0...100) with libwebp's
    /// default preset and compression `method` (0 fastest ... 6 smallest), as cwebp
    /// `-q quality -m method` and Pillow's `save(quality=q, method=m)` do. libwebp reports
    /// failures by status, never by printing. Throws `WebPError.encodeFailed` for other
    /// layouts, sizes over 16,383 a side, values out of range, or libwebp's refusal.
    public static func encode(_ image: PNGImage, quality: Double, method: Int = 6) throws -> [UInt8] {
        guard image.bitDepth == 8, image.channels == 3 else {
            throw WebPError.encodeFailed("encoding takes 8-bit RGB, not \(image.channels) channels of \(image.bitDepth) bits")
        }
        guard image.width <= maxDimension, image.height <= maxDimension else {
            throw WebPError.encodeFailed("\(image.width)x\(image.height) is over WebP's \(maxDimension) pixels a side")
        }
        guard (0...100).contains(quality), (0...6).contains(method) else {
            throw WebPError.encodeFailed("quality \(quality) or method \(method) out of range (0...100, 0...6)")
        }
        var config = WebPConfig()
        guard WebPConfigInit(&config) != 0 else { throw WebPError.encodeFailed("libwebp version mismatch") }
        config.quality = Float(quality)
        config.method = Int32(method)
        guard WebPValidateConfig(&config) != 0 else { throw WebPError.encodeFailed("libwebp refused the settings") }
        var picture = WebPPicture()
        guard WebPPictureInit(&picture) != 0 else { throw WebPError.encodeFailed("libwebp version mismatch") }
        defer { WebPPictureFree(&picture) }
        picture.width = Int32(image.width)
        picture.height = Int32(image.height)
        let imported = image.pixels.withUnsafeBufferPointer {
            WebPPictureImportRGB(&picture, $0.baseAddress, Int32(image.width * 3))
        }
        guard imported != 0 else { throw WebPError.encodeFailed("out of memory") }
        var writer = WebPMemoryWriter()
        WebPMemoryWriterInit(&writer)
        defer { WebPMemoryWriterClear(&writer) }
        let encoded = withUnsafeMutablePointer(to: &writer) { w -> Int32 in
            picture.writer = WebPMemoryWrite
            picture.custom_ptr = UnsafeMutableRawPointer(w)
            return WebPEncode(&config, &picture)
        }
        guard encoded != 0, let memory = writer.mem else {
            throw WebPError.encodeFailed("libwebp error \(picture.error_code.rawValue)")
        }
        return Array(UnsafeBufferPointer(start: memory, count: writer.size))
    }

    /// The largest side a WebP may have (libwebp's WEBP_MAX_DIMENSION).
    public static let maxDimension = 16_383
}
