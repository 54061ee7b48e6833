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
/// Each input is tried as it is and with every chunk CRC recomputed, so that mutations
/// reach the chunk contents (libpng stops at the first bad CRC of a critical chunk).
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? CodecImage.decodePNG(bytes, path: "<fuzz>")
    let fixed = withFixedCRCs(bytes)
    if fixed != bytes { _ = try? CodecImage.decodePNG(fixed, path: "<fuzz>") }
    return 0
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
