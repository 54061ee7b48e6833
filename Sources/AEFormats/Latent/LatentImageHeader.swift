/// The header fields 1.x and 2.x latent files share after the signature, in this order:
/// the version byte, the model fingerprint, the image's width and height (varints) and
/// its pixel format byte (Specs/latent-file.md sections 4 and 12.1), read and checked
/// against the limits of section 9 in one place for both versions.
struct LatentImageHeader {
    let version: UInt8
    let fingerprint: [UInt8]
    let width: Int
    let height: Int
    let colorType: LatentFile.ColorType
    let bitDepth: Int

    /// Reads the fields from `c` (positioned after the signature), refusing an empty or
    /// oversized image and a pixel format PNG does not allow.
    static func read(_ c: inout LatentFileCodec.Cursor, path: String) throws -> LatentImageHeader {
        typealias Limits = LatentFile.Limits
        func malformed(_ reason: String) -> LatentFileError { .malformed(path: path, reason: reason) }
        func limit(_ what: String, _ value: Int, _ max: Int) -> LatentFileError {
            .limitExceeded(path: path, what: what, value: value, limit: max)
        }
        let version = try c.byte()
        var fingerprint: [UInt8] = []
        for _ in 0..<LatentFile.fingerprintLength { fingerprint.append(try c.byte()) }
        let width = try c.varint("width"), height = try c.varint("height")
        guard width >= 1, height >= 1 else { throw malformed("image size \(width)x\(height) is empty") }
        if width > Limits.side { throw limit("width", width, Limits.side) }
        if height > Limits.side { throw limit("height", height, Limits.side) }
        if width * height > Limits.pixels { throw limit("pixel count (\(width)x\(height))", width * height, Limits.pixels) }
        let pixelFormat = try c.byte()
        guard let colorType = LatentFile.ColorType(rawValue: pixelFormat >> 4) else {
            throw malformed("unknown PNG colour type \(pixelFormat >> 4)")
        }
        let depthLog = Int(pixelFormat & 0x0F)
        let bitDepth = depthLog <= 4 ? 1 << depthLog : 0
        guard LatentFile.isValid(colorType: colorType, bitDepth: bitDepth) else {
            throw malformed("bit depth code \(depthLog) is not valid for PNG colour type \(colorType.rawValue)")
        }
        return LatentImageHeader(version: version, fingerprint: fingerprint, width: width, height: height,
                                 colorType: colorType, bitDepth: bitDepth)
    }
}
