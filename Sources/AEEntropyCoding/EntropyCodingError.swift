/// Why a CDF table, a probability mass function or a coded byte stream was refused.
///
/// Decoding never traps on bad input: a truncated or corrupted stream either decodes to
/// some values or throws one of these, always after a bounded amount of work.
public enum EntropyCodingError: Error, Equatable, Sendable {
    /// A CDF table breaks a rule of Specs/range-coder.md (section "CDF tables").
    case invalidTable(reason: String)
    /// A probability mass function the table builder cannot quantise (negative, NaN, empty...).
    case invalidPMF(reason: String)
    /// The decoder needed a byte at `position` but the stream has only `position` bytes.
    case readPastEnd(position: Int)
    /// The stream's first four bytes are not a valid coder state (below 2^23).
    case invalidInitialState(UInt32)
    /// An escape's Elias-gamma prefix is longer than any Int32 needs, or its value lies
    /// outside Int32.
    case invalidEscape(reason: String)
    /// After the last symbol, the state is not the encoder's initial state or bytes are
    /// left over: the stream is corrupt or was decoded with other tables or symbol counts.
    case invalidEnd(state: UInt32, unreadBytes: Int)
}
