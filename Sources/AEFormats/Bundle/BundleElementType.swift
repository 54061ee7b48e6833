/// How a tensor's values are stored in a bundle. Readers convert both to float32.
public enum BundleElementType: UInt8, Sendable, CaseIterable, Codable {
    /// IEEE 754 binary32, little-endian.
    case f32 = 1
    /// IEEE 754 binary16, little-endian (rounded to nearest, ties to even, on writing).
    case f16 = 2

    public var byteSize: Int { self == .f32 ? 4 : 2 }
    /// Name in the spec and in aeinfo output: "float32" or "float16".
    public var name: String { self == .f32 ? "float32" : "float16" }

    /// `values` in this type, little-endian.
    public func encode(_ values: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count * byteSize)
        switch self {
        case .f32:
            #if _endian(little)
            // The stored bytes are the little-endian IEEE bits: the host's own layout.
            out.withUnsafeMutableBytes { dst in values.withUnsafeBytes { dst.copyMemory(from: $0) } }
            #else
            for (i, v) in values.enumerated() { BundleBytes.put(v.bitPattern, into: &out, at: 4 * i) }
            #endif
        case .f16:
            #if _endian(little)
            // One pass over raw buffers (a per-byte generic store made a 6 MB bundle take
            // seconds to fingerprint in debug builds).
            out.withUnsafeMutableBytes { dst in
                values.withUnsafeBufferPointer { src in
                    for i in 0..<src.count { dst.storeBytes(of: Self.half(src[i]), toByteOffset: 2 * i, as: UInt16.self) }
                }
            }
            #else
            for (i, v) in values.enumerated() { BundleBytes.put(Self.half(v), into: &out, at: 2 * i) }
            #endif
        }
        return out
    }

    /// Float32 values of `count` elements of this type at `bytes[offset...]`.
    public func decode(_ bytes: [UInt8], offset: Int, count: Int) -> [Float] {
        switch self {
        case .f32:
            #if _endian(little)
            precondition(offset >= 0 && count >= 0 && offset + 4 * count <= bytes.count, "f32 data out of range")
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { src in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset ..< offset + 4 * count]))
                }
                initialized = count
            }
            #else
            return (0..<count).map { Float(bitPattern: BundleBytes.u32(bytes, offset + 4 * $0)) }
            #endif
        case .f16:
            #if _endian(little)
            precondition(offset >= 0 && count >= 0 && offset + 2 * count <= bytes.count, "f16 data out of range")
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { src in
                    for i in 0..<count { buffer[i] = Self.widen(src.loadUnaligned(fromByteOffset: offset + 2 * i, as: UInt16.self)) }
                }
                initialized = count
            }
            #else
            return (0..<count).map { Self.widen(BundleBytes.u16(bytes, offset + 2 * $0)) }
            #endif
        }
    }

    // The hardware conversions quiet signalling NaNs, so a float16 NaN read and written
    // again would change its bits, and with them the fingerprint, which covers the bytes
    // as stored (spec section 9). NaNs therefore move their payload by hand, both ways.

    /// float16 bits -> float32, NaN payloads kept (in the top 10 mantissa bits).
    static func widen(_ bits: UInt16) -> Float {
        guard bits & 0x7C00 == 0x7C00, bits & 0x03FF != 0 else { return Float(Float16(bitPattern: bits)) }
        return Float(bitPattern: UInt32(bits & 0x8000) << 16 | 0x7F80_0000 | UInt32(bits & 0x03FF) << 13)
    }

    /// float32 -> float16 bits (round to nearest, ties to even); a NaN keeps the top
    /// 10 bits of its payload, or becomes a quiet NaN when they are all zero.
    static func half(_ v: Float) -> UInt16 {
        guard v.isNaN else { return Float16(v).bitPattern }
        let payload = UInt16(truncatingIfNeeded: (v.bitPattern >> 13) & 0x03FF)
        return UInt16(truncatingIfNeeded: v.bitPattern >> 16) & 0x8000 | 0x7C00 | (payload == 0 ? 0x0200 : payload)
    }
}
