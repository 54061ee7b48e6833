import AEBase

import AEFormats
/// Seeds for the data sources' random streams, derived so that every image (or
/// crop) has its own generator: results do not depend on thread count or on the
/// order work is done in.
enum DataSeed {
    /// A seed for item `index` of stream `stream` under the user's `seed`.
    static func derive(_ seed: UInt64, stream: UInt64, index: Int) -> UInt64 {
        SplitMix64.mix(SplitMix64.mix(SplitMix64.mix(seed) ^ stream) ^ UInt64(truncatingIfNeeded: index))
    }

    /// Stream identifiers, one per kind of random source.
    static let synthetic: UInt64 = 0x5359_4E54   // "SYNT"
    static let pngCrops: UInt64 = 0x504E_4743    // "PNGC"
    static let svhnCrops: UInt64 = 0x5356_484E   // "SVHN"
}
