/// A workaround for libpng 1.6's simplified reader, which scrambles rows when it
/// reduces a 16-bit **interlaced** (Adam7) image to 8 bits (seen with 1.6.39: rows of
/// later passes land on the wrong output rows; 16-bit output and 8-bit files are
/// fine). Before such a file reaches libpng, its pixel data are de-interlaced here
/// into an equivalent non-interlaced PNG: same header (interlace method 0), same
/// ancillary chunks byte for byte, one new IDAT. Only 16-bit Adam7 files take this
/// path; its cost (one inflate and deflate) does not matter for such rare files.
enum PNGDeinterlace {
    /// Whether `data` is a PNG that needs `deinterlaced` (IHDR: bit depth 16, Adam7).
    static func isNeeded(_ data: [UInt8]) -> Bool {
        data.count >= 33 && Array(data[12..<16]) == Array("IHDR".utf8) && data[24] == 16 && data[28] == 1
    }

    /// The Adam7 passes: first column, first row, column step, row step.
    static let passes: [(x: Int, y: Int, dx: Int, dy: Int)] =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]

    /// The same image as a non-interlaced PNG. Throws `PNGError.decodeFailed` for data
    /// libpng would refuse too (bad chunk CRCs, truncated or corrupt image data).
    static func deinterlaced(_ data: [UInt8], maxPixels: Int) throws -> [UInt8] {
        func fail(_ why: String) -> PNGError { .decodeFailed(why) }
        func be32(_ at: Int) -> Int { data[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }

        // Chunks: IHDR, those before the first IDAT, the IDAT data, those after.
        var before: [UInt8] = [], after: [UInt8] = [], idat: [UInt8] = []
        var ihdr: [UInt8]? = nil
        var seenIDAT = false
        var at = 8
        while at + 12 <= data.count {
            let length = be32(at)
            guard length <= data.count - at - 12 else { throw fail("truncated \(String(decoding: data[(at + 4)..<(at + 8)], as: UTF8.self)) chunk") }
            let type = String(decoding: data[(at + 4)..<(at + 8)], as: UTF8.self)
            let end = at + 12 + length
            let body = Array(data[(at + 4)..<(at + 8 + length)])
            if type == "IHDR" || type == "IDAT" {
                guard Zlib.crc32(body) == UInt32(be32(at + 8 + length)) else { throw fail("\(type): CRC error") }
            }
            switch type {
            case "IHDR": ihdr = Array(body.dropFirst(4))
            case "IDAT":
                idat += body.dropFirst(4)
                seenIDAT = true
            default:
                if seenIDAT { after += data[at..<end] } else { before += data[at..<end] }
            }
            at = end
            if type == "IEND" { break }
        }
        guard var header = ihdr, header.count == 13, seenIDAT else { throw fail("missing IHDR or IDAT chunk") }
        let width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }, height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        let samples: Int
        switch header[9] {
        case 0: samples = 1
        case 2: samples = 3
        case 4: samples = 2
        case 6: samples = 4
        default: throw fail("colour type \(header[9]) cannot be 16-bit")
        }
        guard width > 0, height > 0, width.multipliedReportingOverflow(by: height).partialValue <= maxPixels,
              width <= 1 << 24, height <= 1 << 24 else {
            throw PNGError.tooLarge(width: width, height: height, limit: maxPixels)
        }
        let bpp = samples * 2  // bytes per pixel
        let rowBytes = width * bpp

        // Sizes of the passes, and of the interlaced stream.
        let sizes = passes.map { p -> (w: Int, h: Int) in
            (width > p.x ? (width - p.x + p.dx - 1) / p.dx : 0, height > p.y ? (height - p.y + p.dy - 1) / p.dy : 0)
        }
        let streamSize = sizes.reduce(0) { $0 + ($1.w == 0 ? 0 : $1.h * (1 + $1.w * bpp)) }
        let stream: [UInt8]
        do {
            stream = try Zlib.decompress(idat, expectedSize: streamSize, maxSize: streamSize)
        } catch {
            throw fail("corrupt image data (\(error))")
        }

        // Unfilter each pass and scatter its pixels; the output rows get filter 0.
        var out = [UInt8](repeating: 0, count: height * (1 + rowBytes))
        var offset = 0
        for (p, size) in zip(passes, sizes) where size.w > 0 && size.h > 0 {
            let n = size.w * bpp
            var previous = [UInt8](repeating: 0, count: n)
            var line = [UInt8](repeating: 0, count: n)
            for j in 0..<size.h {
                let filter = stream[offset]
                let raw = offset + 1
                for i in 0..<n {
                    let a = i >= bpp ? Int(line[i - bpp]) : 0, b = Int(previous[i])
                    let c = i >= bpp ? Int(previous[i - bpp]) : 0
                    let predictor: Int
                    switch filter {
                    case 0: predictor = 0
                    case 1: predictor = a
                    case 2: predictor = b
                    case 3: predictor = (a + b) / 2
                    case 4:
                        let pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c)
                        predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                    default: throw fail("bad filter type \(filter)")
                    }
                    line[i] = UInt8(truncatingIfNeeded: Int(stream[raw + i]) + predictor)
                }
                let y = p.y + j * p.dy
                for i in 0..<size.w {
                    let x = p.x + i * p.dx
                    let target = y * (1 + rowBytes) + 1 + x * bpp
                    for k in 0..<bpp { out[target + k] = line[i * bpp + k] }
                }
                swap(&previous, &line)
                offset += 1 + n
            }
        }

        header[12] = 0
        var png = PNGImage.signature
        func chunk(_ type: String, _ body: [UInt8]) {
            for k in (0..<4).reversed() { png.append(UInt8(truncatingIfNeeded: body.count >> (8 * k))) }
            let typed = Array(type.utf8) + body
            png += typed
            let crc = Zlib.crc32(typed)
            for k in (0..<4).reversed() { png.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k)))) }
        }
        chunk("IHDR", header)
        png += before
        chunk("IDAT", Zlib.compress(out, level: 1))
        png += after
        return png
    }
}
