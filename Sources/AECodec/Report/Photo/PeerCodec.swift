import AEFormats

/// The codecs the photo report sets ours against (through libjpeg-turbo and libwebp, as
/// `Benchmarks/rd_compare.py` measures them with Pillow), each over a grid of qualities.
public enum PeerCodec: String, CaseIterable, Sendable {
    case jpeg
    case webp

    /// `Benchmarks/rdcompare/peers.py`'s grid, so that the two measurements line up.
    public static let defaultGrid = [0, 2, 5, 8, 12, 16, 20, 30, 40, 50, 65, 80, 95]

    public var name: String { self == .jpeg ? "JPEG" : "WebP" }

    /// How it is set, in words for the page.
    public var settings: String {
        switch self {
        case .jpeg: return "libjpeg-turbo, 4:2:0 chroma, optimized Huffman tables (Pillow's optimize=True)"
        case .webp: return "libwebp, lossy, method 6, default preset"
        }
    }

    /// The qualities of `grid` this codec takes, ascending, each once (JPEG's lowest is 1).
    public func qualities(_ grid: [Int]) -> [Int] {
        Array(Set(grid.map { self == .jpeg ? max(1, $0) : $0 })).sorted()
    }

    /// The file of an 8-bit RGB image at `quality` (0...100).
    public func encode(_ rgb: PNGImage, quality: Int) throws -> [UInt8] {
        switch self {
        case .jpeg: return try JPEGImage.encode(rgb, quality: quality)
        case .webp: return try WebPImage.encode(rgb, quality: Double(quality), method: 6)
        }
    }

    /// The 8-bit RGB image of a file `encode` wrote.
    public func decode(_ bytes: [UInt8]) throws -> PNGImage {
        switch self {
        case .jpeg: return try JPEGImage.decode(bytes)
        case .webp: return try WebPImage.decode(bytes)
        }
    }
}
