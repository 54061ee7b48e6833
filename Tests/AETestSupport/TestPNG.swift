/// A small independent PNG writer for the tests: every colour type and bit depth,
/// palettes with tRNS, tRNS on gray and RGB, and Adam7 interlacing — none of which
/// libpng's simplified writer can produce. Samples are given at the file's bit depth.
public enum TestPNG {
    public struct Spec {
        public var width: Int
        public var height: Int
        public var colorType: Int  // 0, 2, 3, 4, 6
        public var bitDepth: Int   // 1, 2, 4, 8, 16
        public var interlaced = false
        /// Samples per pixel (palette: one index), row-major, at `bitDepth` precision.
        public var samples: [Int]
        public var palette: [(UInt8, UInt8, UInt8)] = []
        /// tRNS chunk: palette alphas, or one gray / RGB sample value (at `bitDepth`) that is transparent.
        public var paletteAlpha: [UInt8]? = nil
        public var transparentKey: [Int]? = nil

        public init(width: Int, height: Int, colorType: Int, bitDepth: Int, interlaced: Bool = false, samples: [Int],
                    palette: [(UInt8, UInt8, UInt8)] = [], paletteAlpha: [UInt8]? = nil, transparentKey: [Int]? = nil) {
            self.width = width
            self.height = height
            self.colorType = colorType
            self.bitDepth = bitDepth
            self.interlaced = interlaced
            self.samples = samples
            self.palette = palette
            self.paletteAlpha = paletteAlpha
            self.transparentKey = transparentKey
        }

        public var samplesPerPixel: Int { [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]! }
    }

    public static func encode(_ s: Spec) -> [UInt8] {
        precondition(s.samples.count == s.width * s.height * s.samplesPerPixel)
        var raw: [UInt8] = []
        let passes: [(Int, Int, Int, Int)] = s.interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        // Every filter type in turn (none, sub, up, average, Paeth), row after row.
        let bpp = max(1, s.samplesPerPixel * s.bitDepth / 8)
        var rowNumber = 0
        for (x0, y0, dx, dy) in passes {
            let xs = Array(stride(from: x0, to: s.width, by: dx)), ys = Array(stride(from: y0, to: s.height, by: dy))
            guard !xs.isEmpty && !ys.isEmpty else { continue }
            var previous: [UInt8] = []
            for y in ys {
                var bits: [Int] = []
                for x in xs {
                    for c in 0..<s.samplesPerPixel { bits.append(s.samples[(y * s.width + x) * s.samplesPerPixel + c]) }
                }
                let line = pack(bits, depth: s.bitDepth)
                if previous.isEmpty { previous = [UInt8](repeating: 0, count: line.count) }
                let filter = rowNumber % 5
                rowNumber += 1
                raw.append(UInt8(filter))
                for i in line.indices {
                    let a = i >= bpp ? Int(line[i - bpp]) : 0, b = Int(previous[i]), c = i >= bpp ? Int(previous[i - bpp]) : 0
                    let predictor: Int
                    switch filter {
                    case 1: predictor = a
                    case 2: predictor = b
                    case 3: predictor = (a + b) / 2
                    case 4:
                        let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
                        predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                    default: predictor = 0
                    }
                    raw.append(UInt8(truncatingIfNeeded: Int(line[i]) - predictor))
                }
                previous = line
            }
        }
        var ihdr: [UInt8] = []
        be32(s.width, &ihdr); be32(s.height, &ihdr)
        ihdr += [UInt8(s.bitDepth), UInt8(s.colorType), 0, 0, s.interlaced ? 1 : 0]
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        chunk("IHDR", ihdr, &png)
        if s.colorType == 3 { chunk("PLTE", s.palette.flatMap { [$0.0, $0.1, $0.2] }, &png) }
        if let a = s.paletteAlpha { chunk("tRNS", a, &png) }
        if let key = s.transparentKey {
            var t: [UInt8] = []
            for v in key { t += [UInt8(v >> 8), UInt8(v & 0xFF)] }
            chunk("tRNS", t, &png)
        }
        chunk("IDAT", TestZlib.compress(raw), &png)
        chunk("IEND", [], &png)
        return png
    }

    public static func pack(_ values: [Int], depth: Int) -> [UInt8] {
        if depth == 16 { return values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }
        if depth == 8 { return values.map { UInt8($0) } }
        var out: [UInt8] = []
        var byte = 0, used = 0
        for v in values {
            byte = byte << depth | v
            used += depth
            if used == 8 { out.append(UInt8(byte)); byte = 0; used = 0 }
        }
        if used > 0 { out.append(UInt8(byte << (8 - used))) }
        return out
    }

    public static func be32(_ v: Int, _ out: inout [UInt8]) {
        for k in (0..<4).reversed() { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }

    public static func chunk(_ type: String, _ data: [UInt8], _ out: inout [UInt8]) {
        be32(data.count, &out)
        let body = Array(type.utf8) + data
        out += body
        be32(Int(TestZlib.crc32(body)), &out)
    }

    /// The valid (colour type, bit depth) pairs of the PNG specification.
    public static let allFormats: [(Int, Int)] = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16),
                                            (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)]

    /// A test image of the given format with varied samples, and the 8-bit pixels
    /// (gray, gray+alpha, RGB or RGBA, as libpng's simplified reader gives them) expected from it.
    /// 16-bit samples are multiples of 257, so any correct reduction gives v / 257.
    public static func sample(width: Int, height: Int, colorType: Int, bitDepth: Int, interlaced: Bool = false,
                       transparency: Bool = false, seed: Int = 1) -> (png: [UInt8], expected: Pixels) {
        let n = width * height
        let maxValue = (1 << bitDepth) - 1
        func value(_ i: Int, _ c: Int) -> Int {
            let h = (i &* 2654435761 &+ c &* 40503 &+ seed &* 97) & 0xFFFF
            if bitDepth == 16 { return (h % 256) * 257 }
            return h % (maxValue + 1)
        }
        func to8(_ v: Int) -> UInt8 { bitDepth == 16 ? UInt8(v / 257) : UInt8(v * 255 / maxValue) }
        var spec = Spec(width: width, height: height, colorType: colorType, bitDepth: bitDepth,
                        interlaced: interlaced, samples: [])
        var expected: [UInt8] = []
        var channels = [0: 1, 2: 3, 3: 3, 4: 2, 6: 4][colorType]!
        switch colorType {
        case 3:
            let entries = min(maxValue + 1, 256)
            spec.palette = (0..<entries).map { UInt8(($0 * 37) & 0xFF) }.map { ($0, 255 &- $0, UInt8(($0 &* 5) & 0xFF)) }
            if transparency {
                spec.paletteAlpha = (0..<entries).map { UInt8(($0 * 91) & 0xFF) }
                channels = 4
            }
            for i in 0..<n {
                let idx = value(i, 0) % entries
                spec.samples.append(idx)
                let p = spec.palette[idx]
                expected += [p.0, p.1, p.2]
                if transparency { expected.append(spec.paletteAlpha![idx]) }
            }
        default:
            let spp = spec.samplesPerPixel
            for i in 0..<n { for c in 0..<spp { spec.samples.append(value(i, c)) } }
            let key: [Int]? = transparency && (colorType == 0 || colorType == 2)
                ? Array(spec.samples[0..<spp]) : nil  // the first pixel's colour is transparent
            spec.transparentKey = key
            if key != nil { channels += 1 }
            for i in 0..<n {
                let px = Array(spec.samples[(i * spp)..<((i + 1) * spp)])
                expected += px.map(to8)
                if let key { expected.append(px == key ? 0 : 255) }
            }
        }
        return (encode(spec), Pixels(width: width, height: height, channels: channels, pixels: expected))
    }

    /// 8-bit pixels as libpng's simplified reader gives them: gray, gray+alpha, RGB or RGBA.
    public struct Pixels: Equatable, Sendable {
        public var width: Int
        public var height: Int
        public var channels: Int
        public var pixels: [UInt8]
    }
}
