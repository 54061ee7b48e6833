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
            for (i, v) in values.enumerated() { BundleBytes.put(v.bitPattern, into: &out, at: 4 * i) }
        case .f16:
            for (i, v) in values.enumerated() { BundleBytes.put(Float16(v).bitPattern, into: &out, at: 2 * i) }
        }
        return out
    }

    /// Float32 values of `count` elements of this type at `bytes[offset...]`.
    public func decode(_ bytes: [UInt8], offset: Int, count: Int) -> [Float] {
        switch self {
        case .f32:
            return (0..<count).map { Float(bitPattern: BundleBytes.u32(bytes, offset + 4 * $0)) }
        case .f16:
            return (0..<count).map { Float(Float16(bitPattern: BundleBytes.u16(bytes, offset + 2 * $0))) }
        }
    }
}
