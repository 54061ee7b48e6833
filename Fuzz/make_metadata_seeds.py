"""Writes the seeds of the metadata fuzz target (Fixtures/fuzz/metadata/seed-*): small
committed images with every kind of metadata the readers take (PNG iCCP, eXIf, iTXt XMP,
tEXt, zTXt, iTXt text; JPEG APP1 Exif and XMP, APP2 ICC_PROFILE in two segments, COM;
WebP ICCP, EXIF, XMP in the extended layout), chunks they only name (pHYs, APP13, an
unknown RIFF chunk), and damaged forms (a bad CRC, a profile segment missing).
Run from the repository root: python3 Fuzz/make_metadata_seeds.py
"""
import struct
import zlib

OUT = "Fixtures/fuzz/metadata/"
PROFILE = struct.pack(">I", 132) + bytes(8) + b"mntrRGB XYZ " + bytes(12) + b"acsp" + bytes(92)
EXIF = b"MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00\x00\x00\x00\x00"
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"/>'


def png_chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def jpeg_segment(marker, body):
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def riff_chunk(kind, body):
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")


def write(name, data):
    with open(OUT + "seed-" + name, "wb") as f:
        f.write(data)


png = open("Fixtures/codec/golden-source.png", "rb").read()
chunks = [png_chunk(b"iCCP", b"p\x00\x00" + zlib.compress(PROFILE)), png_chunk(b"eXIf", EXIF),
          png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP), png_chunk(b"tEXt", b"Title\x00Caf\xe9"),
          png_chunk(b"zTXt", b"Author\x00\x00" + zlib.compress(b"Ann")),
          png_chunk(b"iTXt", b"Title\x00\x01\x00fr\x00Titre\x00" + zlib.compress("Maison \u00e9".encode())),
          png_chunk(b"pHYs", struct.pack(">IIB", 2835, 2835, 1))]
write("metadata.png", png[:33] + b"".join(chunks) + png[33:])
bad = bytearray(png_chunk(b"eXIf", EXIF))
bad[-1] ^= 1
write("bad-crc.png", png[:33] + bytes(bad) + chunks[0] + png[33:])

jpeg = open("Fixtures/images/house-number-gray.jpg", "rb").read()
icc = [jpeg_segment(0xE2, b"ICC_PROFILE\x00" + bytes([k + 1, 2]) + PROFILE[k * 66:(k + 1) * 66]) for k in range(2)]
segments = [jpeg_segment(0xE1, b"Exif\x00\x00" + EXIF), icc[1], icc[0],
            jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP), jpeg_segment(0xFE, b"a comment"),
            jpeg_segment(0xED, b"Photoshop 3.0\x00\x01\x02")]
write("metadata.jpg", jpeg[:2] + b"".join(segments) + jpeg[2:])
write("half-profile.jpg", jpeg[:2] + icc[0] + jpeg[2:])

webp = open("Fixtures/images/golden-source-lossless.webp", "rb").read()
vp8x = riff_chunk(b"VP8X", bytes([0x2C, 0, 0, 0]) + (44).to_bytes(3, "little") + (36).to_bytes(3, "little"))
body = b"WEBP" + vp8x + riff_chunk(b"ICCP", PROFILE) + webp[12:] + riff_chunk(b"EXIF", b"Exif\x00\x00" + EXIF) \
    + riff_chunk(b"XMP ", XMP) + riff_chunk(b"ABCD", b"xyz")
write("metadata.webp", b"RIFF" + struct.pack("<I", len(body)) + body)
