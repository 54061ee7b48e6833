#!/usr/bin/env bash
# Writes the JPEG and WebP test images in Fixtures/images from the committed PNGs, with
# libjpeg-turbo's and libwebp's own tools (apt-get install libjpeg-turbo-progs webp; the
# tests need only the files). Run from anywhere; review the diff: the tests compare the
# decoded pixels with the PNG sources, so a changed file must still be close to them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=Fixtures/images
src=Fixtures/samples/house-number.png   # 96x64 RGB
rgba=Fixtures/codec/golden-source.png   # 40x24 RGBA
mkdir -p "$out"
# cjpeg reads PPM: the PNG's pixels through Python's zlib (no imaging library needed).
ppm=$(mktemp)
trap 'rm -f "$ppm"' EXIT
python3 - "$src" "$ppm" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
at, idat = 8, b""
while at < len(data):
    n, kind = struct.unpack(">I4s", data[at:at + 8])
    body = data[at + 8:at + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert (depth, ctype) == (8, 2) and body[12] == 0, "an 8-bit RGB non-interlaced PNG"
    if kind == b"IDAT":
        idat += body
    at += 12 + n
raw, stride, prev, rows = zlib.decompress(idat), 3 * w, bytearray(3 * w), []
for y in range(h):
    f, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - 3] if i >= 3 else 0
        b, c = prev[i], (prev[i - 3] if i >= 3 else 0)
        p = a + b - c
        pred = [0, a, b, (a + b) // 2, a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else (b if abs(p - b) <= abs(p - c) else c)][f]
        row[i] = (row[i] + pred) & 255
    rows.append(bytes(row))
    prev = row
open(sys.argv[2], "wb").write(b"P6\n%d %d\n255\n" % (w, h) + b"".join(rows))
PY
cjpeg -quality 95 -outfile "$out/house-number.jpg" "$ppm"
cjpeg -quality 95 -progressive -outfile "$out/house-number-progressive.jpg" "$ppm"
cjpeg -quality 95 -grayscale -outfile "$out/house-number-gray.jpg" "$ppm"
cwebp -quiet -q 95 "$src" -o "$out/house-number.webp"
cwebp -quiet -lossless "$src" -o "$out/house-number-lossless.webp"
cwebp -quiet -lossless -exact "$rgba" -o "$out/golden-source-lossless.webp"
ls -l "$out"
