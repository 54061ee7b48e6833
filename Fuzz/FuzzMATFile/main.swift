import AECodec
import CFuzzerDriver
import Glibc
import AENet

// libFuzzer runs `fuzzOne` on each input (options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })

/// libFuzzer target: the MAT v5 image reader (`MATFile(bytes:)`), plain and compressed.
///
/// Mutations cannot get inside a zlib stream, so each input is also tried with
/// everything after its 128-byte header wrapped in one miCOMPRESSED element: the
/// mutated variables then reach the compressed-variable path too.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    if bytes.count > 128 { check(compressed(bytes)) }
    return 0
}

func check(_ bytes: [UInt8]) {
    if let file = try? MATFile(bytes: bytes), file.images.pixels.count % 3072 != 0 {
        fatalError("MAT reader returned \(file.images.pixels.count) bytes of pixels")
    }
}

/// The header, then one miCOMPRESSED element holding the rest (tag in the byte order
/// the header's endian indicator names).
func compressed(_ bytes: [UInt8]) -> [UInt8] {
    let stream = Zlib.compress(Array(bytes[128...]), level: 1)
    let bigEndian = bytes[126] == UInt8(ascii: "M")
    let word = { (v: UInt32) -> [UInt8] in
        (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32(bigEndian ? 3 - $0 : $0))) }
    }
    return Array(bytes[0..<128]) + word(15) + word(UInt32(stream.count)) + stream
}
