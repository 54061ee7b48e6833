import CJPEG

extension JPEGImage {
    /// Encodes an 8-bit gray or RGB image as a baseline JPEG at `quality` (1...100) through
    /// libjpeg-turbo, as Pillow's `save(quality=q, optimize=True)` does: YCbCr with 4:2:0
    /// chroma subsampling for RGB, the standard tables scaled by the quality, optimized
    /// Huffman tables (the `CJPEG` shim keeps libjpeg's longjmp errors in C).
    /// Alpha is not encoded: give RGB (`ImageFile.decodeRGB`). Throws `JPEGError.encodeFailed`
    /// for other layouts, sizes over 65,500 a side, qualities outside 1...100 or libjpeg's refusal.
    public static func encode(_ image: PNGImage, quality: Int) throws -> [UInt8] {
        guard image.bitDepth == 8, image.channels == 1 || image.channels == 3 else {
            throw JPEGError.encodeFailed("encoding takes 8-bit gray or RGB, not \(image.channels) channels of \(image.bitDepth) bits")
        }
        guard (1...100).contains(quality) else { throw JPEGError.encodeFailed("quality \(quality) is outside 1...100") }
        guard image.width <= maxDimension, image.height <= maxDimension else {
            throw JPEGError.encodeFailed("\(image.width)x\(image.height) is over JPEG's \(maxDimension) pixels a side")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 200)
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            message.withUnsafeMutableBufferPointer { text in
                cjpeg_encode(pixels.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                             Int32(quality), &out, &size, text.baseAddress)
            }
        }
        defer { cjpeg_free(out) }
        guard status == 0, let out else {
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw JPEGError.encodeFailed(text.isEmpty ? "libjpeg error" : text)
        }
        return Array(UnsafeBufferPointer(start: out, count: Int(size)))
    }

    /// The largest side a JPEG may have (libjpeg's JPEG_MAX_DIMENSION).
    public static let maxDimension = 65_500
}
