/// The model fingerprint: identifies a model's weights exactly as stored, so a latent
/// file is never decoded with another model (Specs/model-bundle.md, "Fingerprint").
///
/// SHA-256 over the weight tensors (names not starting with "optimizer/" or
/// "quantization/"), taken in
/// ascending byte order of their UTF-8 names, each contributing
///
///     u32 name length | name (UTF-8) | u8 element type code | u8 rank |
///     rank x u64 dimensions | u64 data length | data bytes as stored
///
/// (integers little-endian); the fingerprint is the digest's first 16 bytes, written
/// as 32 lowercase hex digits. The same weights stored as float16 and as float32 have
/// different fingerprints: they decode differently.
public enum ModelFingerprint {
    public static let byteCount = 16

    /// The fingerprint's 16 bytes for `tensors` (optimizer and quantisation tensors are skipped).
    public static func bytes(of tensors: [BundleTensor]) -> [UInt8] {
        var sha = SHA256()
        let weights = tensors.filter(\.isWeight)
            .sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        for t in weights {
            let name = Array(t.name.utf8)
            let data = t.bytes
            var head: [UInt8] = []
            BundleBytes.append(UInt32(name.count), to: &head)
            head += name
            head.append(t.elementType.rawValue)
            head.append(UInt8(t.shape.count))
            for d in t.shape { BundleBytes.append(UInt64(d), to: &head) }
            BundleBytes.append(UInt64(data.count), to: &head)
            sha.update(head)
            sha.update(data)
        }
        return Array(sha.finalize().prefix(byteCount))
    }

    /// The fingerprint's 16 bytes of the bundle in `container`, from its stored bytes
    /// (the same as `bytes(of:)` of its tensors, without decoding them: cheaper, for
    /// looking a file's model up among many bundles).
    public static func bytes(of container: BundleContainer) -> [UInt8] {
        var sha = SHA256()
        let weights = container.entries.filter { BundleTensor.isWeight(name: $0.name) }
            .sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        for entry in weights {
            let name = Array(entry.name.utf8)
            var head: [UInt8] = []
            BundleBytes.append(UInt32(name.count), to: &head)
            head += name
            head.append(entry.elementType.rawValue)
            head.append(UInt8(entry.shape.count))
            for d in entry.shape { BundleBytes.append(UInt64(d), to: &head) }
            BundleBytes.append(entry.length, to: &head)
            sha.update(head)
            container.data(of: entry).withUnsafeBytes { sha.update($0) }
        }
        return Array(sha.finalize().prefix(byteCount))
    }

    /// The fingerprint as 32 lowercase hex digits.
    public static func hex(of tensors: [BundleTensor]) -> String {
        SHA256.hex(bytes(of: tensors))
    }
}
