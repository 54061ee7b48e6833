import AECodec
import CFuzzerDriver
import Glibc

// libFuzzer runs `fuzzOne` on each input (options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })

/// libFuzzer target: PNG input as `aeenc` reads it (`CodecImage.decodePNG`: libpng's
/// header, the codec's size limits, then libpng's decoder or our Adam7 de-interlacer).
///
/// Each input is tried as it is, with every chunk CRC recomputed (libpng stops at the
/// first bad CRC of a critical chunk), and as signature and IHDR followed by the rest of
/// the input as *uncompressed* image data in one IDAT, so that mutations reach the rows
/// and their filters (a zlib stream hides them).
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? CodecImage.decodePNG(bytes, path: "<fuzz>")
    let fixed = withFixedCRCs(bytes)
    if fixed != bytes { _ = try? CodecImage.decodePNG(fixed, path: "<fuzz>") }
    if bytes.count >= 33 { _ = try? CodecImage.decodePNG(withRawImageData(bytes), path: "<fuzz>") }
    return 0
}

/// The first 33 bytes (signature and, in a PNG, the IHDR chunk, its CRC recomputed),
/// then one IDAT holding the rest of `bytes` compressed, then IEND.
func withRawImageData(_ bytes: [UInt8]) -> [UInt8] {
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
func withFixedCRCs(_ bytes: [UInt8]) -> [UInt8] {
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
