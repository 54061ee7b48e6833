import AEFormats
/// Seeds for the data sources' random streams, derived so that every image (or
/// crop) has its own generator: results do not depend on thread count or on the
/// order work is done in.
enum DataSeed {
    /// SplitMix64's finaliser: a bijective 64-bit mix.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A seed for item `index` of stream `stream` under the user's `seed`.
    static func derive(_ seed: UInt64, stream: UInt64, index: Int) -> UInt64 {
        mix(mix(mix(seed) ^ stream) ^ UInt64(truncatingIfNeeded: index))
    }

    /// Stream identifiers, one per kind of random source.
    static let synthetic: UInt64 = 0x5359_4E54   // "SYNT"
    static let pngCrops: UInt64 = 0x504E_4743    // "PNGC"
    static let svhnCrops: UInt64 = 0x5356_484E   // "SVHN"
}
