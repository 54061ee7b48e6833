"""Model bundles (.aemodel) in Python: the container of Specs/model-bundle.md.

Used by keras2aemodel.py and aemodel2keras.py; needs only numpy. `encode` lays a
bundle out exactly as a 1.x writer must (section 2: metadata padded with spaces
to 8 bytes, table padded with zeros to 64, tensors 64-byte aligned, no trailing
padding); `decode` checks a bundle in the spec's reading order (section 8) and
recomputes its fingerprint (section 9).
"""

import hashlib
import json
import os
import secrets
import struct
import zlib

import numpy as np

MAGIC = b"\x89AEM\r\n\x1a\n"
HEADER_LENGTH = 96
ALIGNMENT = 64
FLOAT32, FLOAT16 = 1, 2
DTYPES = {FLOAT32: "<f4", FLOAT16: "<f2"}
FLOAT16_MAX = 65504.0


class BundleError(Exception):
    """A bundle that cannot be read or written; the message is one line."""


def is_weight(name):
    """Weight tensors are the ones the fingerprint covers (section 9)."""
    return not name.startswith(("optimizer/", "quantization/"))


def metadata_json(metadata):
    """Canonical metadata text: sorted keys, pretty-printed like the Swift writer."""
    return json.dumps(metadata, indent=2, sort_keys=True, separators=(",", " : "),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def _pad(data, multiple, fill):
    return data + fill * (-len(data) % multiple)


def fingerprint(tensors):
    """The model fingerprint (section 9) of [(name, code, array)] as stored."""
    sha = hashlib.sha256()
    for name, code, array in sorted((t for t in tensors if is_weight(t[0])), key=lambda t: t[0].encode()):
        raw = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
        encoded = name.encode("utf-8")
        sha.update(struct.pack("<I", len(encoded)) + encoded + bytes([code, array.ndim]))
        sha.update(struct.pack(f"<{array.ndim}Q", *array.shape) + struct.pack("<Q", len(raw)) + raw)
    return sha.digest()[:16].hex()


def encode(metadata, tensors, minor_version, checkpoint=False):
    """The bytes of a bundle: `tensors` is [(name, code, array)] in table order."""
    meta = _pad(metadata_json(metadata), 8, b" ")
    table, data = bytearray(), bytearray()
    for name, code, array in tensors:
        raw = np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()
        encoded = name.encode("utf-8")
        data += b"\0" * (-len(data) % ALIGNMENT)
        entry = struct.pack("<IHBBQQ", 0, len(encoded), code, array.ndim, len(data), len(raw))
        entry += struct.pack(f"<{array.ndim}Q", *array.shape) + encoded
        entry = _pad(entry, 8, b"\0")
        table += struct.pack("<I", len(entry)) + entry[4:]
        data += raw
    table_offset = HEADER_LENGTH + len(meta)
    data_offset = -(-(table_offset + len(table)) // ALIGNMENT) * ALIGNMENT
    table = bytes(table) + b"\0" * (data_offset - table_offset - len(table))
    file_length = data_offset + len(data)
    header = MAGIC + struct.pack("<HHIQQQQQQQII", 1, minor_version, HEADER_LENGTH, file_length,
                                 HEADER_LENGTH, len(meta), table_offset, len(table), data_offset,
                                 len(data), len(tensors), 1 if checkpoint else 0)
    header += struct.pack("<III", zlib.crc32(meta), zlib.crc32(table), zlib.crc32(bytes(data)))
    header += struct.pack("<I", zlib.crc32(header))
    return header + meta + table + bytes(data)


def decode(b, path="<memory>"):
    """(metadata, {name: (code, float32 array)}, fingerprint, (major, minor)) of a bundle's bytes."""
    def fail(reason):
        raise BundleError(f"{path}: {reason}")
    if len(b) < 8 or b[:8] != MAGIC:
        fail("not a model bundle: damaged signature" if b[:4] == MAGIC[:4] and len(b) >= 8
             else "truncated" if MAGIC.startswith(b[:8]) else "not a model bundle: bad magic")
    if len(b) < 16:
        fail("truncated")
    major, minor, hlen = struct.unpack_from("<HHI", b, 8)
    if major != 1:
        fail(f"unsupported bundle format version {major}.{minor} (this reader understands major version 1)")
    if hlen % 4 or not HEADER_LENGTH <= hlen <= 4096 or len(b) < hlen:
        fail(f"truncated: expected at least {hlen} header bytes, found {len(b)}")
    if zlib.crc32(b[:hlen - 4]) != struct.unpack_from("<I", b, hlen - 4)[0]:
        fail("checksum mismatch in header")
    (flen, moff, mlen, toff, tlen, doff, dlen, count, flags,
     mcrc, tcrc, dcrc) = struct.unpack_from("<QQQQQQQIIIII", b, 16)
    if len(b) != flen:
        fail(f"truncated: expected {flen} bytes, found {len(b)}" if len(b) < flen else "malformed header: trailing bytes")
    sections = sorted([(moff, mlen), (toff, tlen), (doff, dlen)])
    if doff % ALIGNMENT or any(o < hlen or o + n > flen for o, n in sections) \
            or any(a[0] + a[1] > c[0] for a, c in zip(sections, sections[1:])):
        fail("malformed header: sections outside the file, overlapping or misaligned")
    for name, off, n, crc in (("metadata", moff, mlen, mcrc), ("tensor table", toff, tlen, tcrc),
                              ("tensor data", doff, dlen, dcrc)):
        if zlib.crc32(b[off:off + n]) != crc:
            fail(f"checksum mismatch in {name}")
    tensors, at = {}, toff
    for _ in range(count):
        if at + 24 > toff + tlen:
            fail("tensor table inconsistent: entries run past the table")
        elen, nlen, code, rank, off, n = struct.unpack_from("<IHBBQQ", b, at)
        if code not in DTYPES or rank > 8 or elen < 24 + 8 * rank + nlen or at + elen > toff + tlen:
            fail("tensor table inconsistent")
        shape = struct.unpack_from(f"<{rank}Q", b, at + 24)
        name = b[at + 24 + 8 * rank: at + 24 + 8 * rank + nlen].decode("utf-8")
        if off % ALIGNMENT or off + n > dlen or n != int(np.prod(shape, dtype=np.uint64)) * (4 if code == FLOAT32 else 2):
            fail(f"tensor table inconsistent at tensor {name}")
        raw = b[doff + off: doff + off + n]
        tensors[name] = (code, np.frombuffer(raw, DTYPES[code]).astype(np.float32).reshape(shape))
        at += elen
    try:
        metadata = json.loads(b[moff:moff + mlen].decode("utf-8"))
    except ValueError as e:
        fail(f"invalid metadata: {e}")
    if not isinstance(metadata, dict) or "architecture" not in metadata:
        fail("invalid metadata: missing architecture")
    stored = [(k, code, a.astype(DTYPES[code])) for k, (code, a) in tensors.items()]
    return metadata, tensors, fingerprint(stored), (major, minor)


def read(path):
    """Reads and checks the bundle at `path` (see `decode`)."""
    try:
        with open(path, "rb") as f:
            b = f.read()
    except OSError as e:
        raise BundleError(f"{path}: cannot read: {e.strerror or e}") from None
    return decode(b, path)


def write_atomically(data, path, force):
    """Writes `data` to a temporary file beside `path`, flushed, then renamed into
    place (hard-linked when an existing file must not be replaced), so a failure
    never leaves a partial file. Refuses an existing `path` unless `force`."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise BundleError(f"{path}: is a folder")
    if os.path.lexists(path) and not force:
        raise BundleError(f"{path}: already exists (use --force to overwrite)")
    temp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with open(temp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails if the file appeared meanwhile
    except FileExistsError:
        raise BundleError(f"{path}: already exists (use --force to overwrite)") from None
    except OSError as e:
        raise BundleError(f"{path}: cannot write: {e.strerror or e}") from None
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
