import AECodec
import CFuzzerDriver
import Glibc
import AENet
import Foundation

// libFuzzer runs `fuzzOne` on each input (options: Scripts/fuzz.sh, Fuzz/README.md).
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })

/// libFuzzer target: the model bundle reader (`ModelBundle.decode`) and, for bundles
/// that decode, rebuilding their network (`makeModel`), as `aeenc`/`aedec` do, and
/// what `aeinfo` prints (`BundleInfo`).
///
/// Each input is tried as it is and "repaired": file length and the three section
/// CRCs and the header CRC recomputed, so that mutations reach the table, metadata and
/// architecture checks instead of stopping at a checksum.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    check(bytes)
    if let repaired = repaired(bytes) { check(repaired) }
    return 0
}

/// Where a bundle that decodes is written for `BundleInfo`, which reads files only. (A
/// static, not a global: main.swift's globals after the driver call are never set.)
enum InfoFile {
    static let url: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("aecodec-fuzz-\(getpid()).aemodel")
        atexit { unlink(InfoFile.url.path) }
        return url
    }()
}

func check(_ bytes: [UInt8]) {
    guard let bundle = try? ModelBundle.decode(bytes) else { return }
    _ = bundle.fingerprint
    _ = try? bundle.makeModel()
    // What `aeinfo` prints about it.
    guard (try? Data(bytes).write(to: InfoFile.url)) != nil, let info = try? BundleInfo(path: InfoFile.url.path) else {
        fatalError("a bundle that decodes from memory does not read from a file")
    }
    _ = info.text()
    _ = try? info.json()
}

func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
    (0..<4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * UInt32($1)) }
}

func u64(_ b: [UInt8], _ at: Int) -> UInt64 {
    (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) }
}

func put<T: FixedWidthInteger>(_ value: T, _ b: inout [UInt8], _ at: Int) {
    for k in 0..<(T.bitWidth / 8) { b[at + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
}

/// `bytes` with the fields that guard the rest (lengths and CRCs) made consistent,
/// or nil when the header is too damaged to say where the sections are.
func repaired(_ bytes: [UInt8]) -> [UInt8]? {
    guard bytes.count >= 96 else { return nil }
    var b = bytes
    let headerLength = Int(u32(b, 12))
    guard headerLength >= 96, headerLength <= 4096, headerLength % 4 == 0, headerLength <= b.count else { return nil }
    put(UInt64(b.count), &b, 16)
    for (offsetField, crcField) in [(24, 80), (40, 84), (56, 88)] {
        let offset = u64(b, offsetField), length = u64(b, offsetField + 8)
        guard offset <= UInt64(b.count), length <= UInt64(b.count) - offset else { continue }
        put(Zlib.crc32(Array(b[Int(offset)..<Int(offset + length)])), &b, crcField)
    }
    put(Zlib.crc32(Array(b[0..<(headerLength - 4)])), &b, headerLength - 4)
    return b
}
