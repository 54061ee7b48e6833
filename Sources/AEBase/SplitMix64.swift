/// SplitMix64 (Steele, Lea and Flood): the one 64-bit mix behind every seed derivation.
public enum SplitMix64 {
    /// The generator's increment (2^64 over the golden ratio).
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The generator's output for state `x`: `x` advanced by `increment`, then finalised
    /// (a bijective 64-bit mix).
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ increment
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
