"""Writes small PNG seeds of the png fuzz target (Fixtures/fuzz/png/seed-*): the colour
types, bit depths, palettes with tRNS and Adam7 interlacing the committed samples lack
(16-bit Adam7 files take the codec's own de-interlacer, PNGDeinterlace.swift).
Run from the repository root: python3 Fuzz/make_png_seeds.py
"""
import struct
import zlib

PASSES = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png(width, height, depth, color, samples, pixel, interlace=False, extra=b"", raw_data=False):
    """pixel(x, y) -> list of sample values; rows use filter 1 (Sub) on odd rows.
    raw_data: signature and IHDR, then the filtered rows uncompressed (the PNG target
    puts them in an IDAT itself, so mutations reach the rows)."""
    bits = depth * samples

    def row(xs, y, filt):
        out, acc, nacc = bytearray(), 0, 0
        for x in xs:
            for v in pixel(x, y):
                if depth == 16:
                    out += struct.pack(">H", v)
                else:
                    acc = acc << depth | v
                    nacc += depth
                    if nacc == 8:
                        out.append(acc)
                        acc, nacc = 0, 0
        if nacc:
            out.append(acc << (8 - nacc))
        if filt == 1:
            bpp = max(1, bits // 8)
            out = bytearray(out[i] - (out[i - bpp] if i >= bpp else 0) & 0xFF for i in range(len(out)))
        return bytes([filt]) + bytes(out)

    raw = b""
    if interlace:
        for px, py, dx, dy in PASSES:
            xs = list(range(px, width, dx))
            if xs:
                raw += b"".join(row(xs, y, y % 2) for y in range(py, height, dy))
    else:
        raw = b"".join(row(range(width), y, y % 2) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 1 if interlace else 0)
    if raw_data:
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + raw
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


seeds = {
    "seed-rgb16-adam7.png": png(9, 7, 16, 2, 3, lambda x, y: [x * 7000, y * 9000, (x ^ y) * 4000], True),
    "seed-ga16-adam7.png": png(5, 6, 16, 4, 2, lambda x, y: [x * 9000, y * 10000], True),
    "seed-rgba8-adam7.png": png(10, 9, 8, 6, 4, lambda x, y: [x * 20, y * 25, 100, 255 - x], True),
    "seed-gray1.png": png(13, 3, 1, 0, 1, lambda x, y: [(x + y) & 1]),
    "seed-palette4-trns.png": png(6, 5, 4, 3, 1, lambda x, y: [(x + y) % 3],
                                  extra=chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]))
                                  + chunk(b"tRNS", bytes([255, 128]))),
    "seed-gray16-trns-gama.png": png(4, 4, 16, 0, 1, lambda x, y: [x * 16000 + y],
                                     extra=chunk(b"gAMA", struct.pack(">I", 100000))
                                     + chunk(b"tRNS", struct.pack(">H", 0))),
    "seed-raw-rgb16-adam7": png(9, 7, 16, 2, 3, lambda x, y: [x * 7000, y * 9000, (x ^ y) * 4000], True,
                                raw_data=True),
    "seed-raw-rgba8": png(5, 4, 8, 6, 4, lambda x, y: [x * 50, y * 60, 7, 200], raw_data=True),
}
for name, data in seeds.items():
    with open("Fixtures/fuzz/png/" + name, "wb") as f:
        f.write(data)
