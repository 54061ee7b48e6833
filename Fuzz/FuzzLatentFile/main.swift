import AECodec
import CFuzzerDriver
import Glibc

// libFuzzer runs `fuzzOne` on each input (options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })

/// libFuzzer target: the latent file reader (`LatentFile.decode` / `inspect`, and
/// `LatentInfo`, what `aeinfo` shows).
///
/// Each input is tried twice: as it is, and with its trailing CRC-32 recomputed, so
/// that mutations reach the header and payload checks instead of stopping at the
/// checksum. A file that decodes must survive a round trip through `encoded()`.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    if bytes.count >= 4 { check(withFixedCRC(bytes)) }
    return 0
}

/// `bytes` with the last 4 bytes replaced by the CRC-32 of the rest (little-endian).
func withFixedCRC(_ bytes: [UInt8]) -> [UInt8] {
    var fixed = bytes
    let end = fixed.count - 4
    let crc = Zlib.crc32(Array(fixed[0..<end]))
    for k in 0..<4 { fixed[end + k] = UInt8(truncatingIfNeeded: crc >> (8 * k)) }
    return fixed
}

func check(_ bytes: [UInt8]) {
    guard let header = try? LatentFile.inspect(bytes) else { return }
    // What `aeinfo` prints about it.
    if let info = try? LatentInfo(bytes: bytes) {
        _ = info.text()
        _ = try? info.json()
    }
    // uint8 files need the model's table: any valid one of the right size will do.
    let table = LatentQuantization(scale: Array(repeating: 0.5, count: header.latentDim),
                                   offset: Array(repeating: -1, count: header.latentDim))
    guard let file = try? LatentFile.decode(bytes, quantization: table) else { return }
    do {
        let again = try LatentFile.decode(try file.encoded(), quantization: table)
        if again != file { fatalError("latent file changed in a round trip") }
    } catch {
        fatalError("a decoded latent file does not re-encode: \(error)")
    }
}
