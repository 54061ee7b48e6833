/// How the latent values are ordered in the payload. The format uses `planesByDimension`
/// (measured best, see the spec); the others remain for the measurements in the tests.
enum LatentPayloadLayout: CaseIterable {
    /// Tile after tile, each value's little-endian bytes together ("plain").
    case interleaved
    /// All high bytes then all low bytes, each plane tile after tile.
    case planesByTile
    /// All high bytes then all low bytes, each plane dimension after dimension
    /// (dimension 0 of every tile, then dimension 1, ...).
    case planesByDimension

    static let format = LatentPayloadLayout.planesByDimension

    /// The payload bytes for `codes` (float16 bit patterns or uint8 codes, tile-major).
    func arrange(_ codes: [UInt16], bytesPerValue: Int, tiles: Int, dim: Int) -> [UInt8] {
        let n = codes.count
        var out = [UInt8](repeating: 0, count: n * bytesPerValue)
        if bytesPerValue == 1 {
            for i in 0..<n { out[position(i, tiles: tiles, dim: dim)] = UInt8(truncatingIfNeeded: codes[i]) }
            return out
        }
        switch self {
        case .interleaved:
            for i in 0..<n {
                out[2 * i] = UInt8(truncatingIfNeeded: codes[i])
                out[2 * i + 1] = UInt8(truncatingIfNeeded: codes[i] >> 8)
            }
        case .planesByTile, .planesByDimension:
            for i in 0..<n {
                let p = position(i, tiles: tiles, dim: dim)
                out[p] = UInt8(truncatingIfNeeded: codes[i] >> 8)
                out[n + p] = UInt8(truncatingIfNeeded: codes[i])
            }
        }
        return out
    }

    /// The tile-major codes back from payload bytes (the inverse of `arrange`).
    func unarrange(_ bytes: [UInt8], bytesPerValue: Int, tiles: Int, dim: Int) -> [UInt16] {
        let n = bytes.count / bytesPerValue
        var codes = [UInt16](repeating: 0, count: n)
        if bytesPerValue == 1 {
            for i in 0..<n { codes[i] = UInt16(bytes[position(i, tiles: tiles, dim: dim)]) }
            return codes
        }
        switch self {
        case .interleaved:
            for i in 0..<n { codes[i] = UInt16(bytes[2 * i]) | UInt16(bytes[2 * i + 1]) << 8 }
        case .planesByTile, .planesByDimension:
            for i in 0..<n {
                let p = position(i, tiles: tiles, dim: dim)
                codes[i] = UInt16(bytes[p]) << 8 | UInt16(bytes[n + p])
            }
        }
        return codes
    }

    /// Where tile-major value `i` (tile `i / dim`, dimension `i % dim`) goes within a plane.
    @inline(__always)
    private func position(_ i: Int, tiles: Int, dim: Int) -> Int {
        self == .planesByDimension ? (i % dim) * tiles + i / dim : i
    }
}
