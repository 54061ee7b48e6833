import AECodec
import CFuzzerDriver
import Glibc
import AENet

// libFuzzer runs `fuzzOne` on each input (options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })

/// libFuzzer target: the MAT v5 image reader (`MATFile(bytes:)`), plain and compressed.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let file = try? MATFile(bytes: bytes), file.images.pixels.count % 3072 != 0 {
        fatalError("MAT reader returned \(file.images.pixels.count) bytes of pixels")
    }
    return 0
}
