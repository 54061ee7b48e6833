import CSHA256

/// SHA-256 (FIPS 180-4), used for model fingerprints: feed bytes with `update`, read the
/// 32-byte digest with `finalize`. The rounds are C (`CSHA256`): the tools hash megabytes
/// of weights at start-up, and C stays fast in the debug builds the tests run.
public struct SHA256: Sendable {
    private var context = csha256_context()

    public init() { csha256_init(&context) }

    /// The digest of `bytes`.
    public static func hash<S: Sequence>(_ bytes: S) -> [UInt8] where S.Element == UInt8 {
        var h = SHA256()
        h.update(Array(bytes))
        return h.finalize()
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        csha256_update(&context, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    /// Pads, processes the last block(s) and returns the 32-byte digest. The hasher is
    /// then spent: call `init()` for another digest.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        digest.withUnsafeMutableBufferPointer { csha256_final(&context, $0.baseAddress!) }
        return digest
    }
}

extension SHA256 {
    /// Lowercase hexadecimal, two digits per byte.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [Character] = Array("0123456789abcdef")
        var s = ""
        for b in bytes {
            s.append(digits[Int(b >> 4)])
            s.append(digits[Int(b & 15)])
        }
        return s
    }
}
