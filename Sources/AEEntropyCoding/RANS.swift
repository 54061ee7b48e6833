/// The constants of the coder's format (Specs/range-coder.md): a 32-bit rANS state kept in
/// [lowerBound, 2^32) between symbols, renormalised one byte at a time.
enum RANS {
    /// The state's lower bound L = 2^23; the encoder starts from it and the decoder must end on it.
    static let lowerBound: UInt32 = 1 << 23
    /// Bits of probability precision: every table's frequencies sum to 2^16.
    static let precision: UInt32 = 16
    /// The widest bypass (raw bits) symbol an escape uses.
    static let maxBypassBits: UInt32 = 16
}

/// One coding step: the interval [start, start + frequency) out of 2^bits. A table symbol
/// uses its CDF interval out of 2^16; a bypass symbol of w raw bits is [v, v + 1) out of 2^w.
struct CodingStep {
    var start: UInt32
    var frequency: UInt32
    var bits: UInt32
}
