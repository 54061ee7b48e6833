#!/usr/bin/env python3
"""An independent decoder of the range-coder bitstream, written from Specs/range-coder.md alone.

Usage: range_decode.py TABLES.json STREAM.bin [--trace]

TABLES.json holds {"tables": [{"offset": int, "cdf": [int, ...]}, ...], "tableIndexes": [int, ...]}:
the tables, and the table of each value in decoding order (other keys are ignored). Prints the decoded
values as a JSON list. With --trace, first prints one line per coding step (the spec's worked example
shows this trace). Exits with status 1 and a message on a damaged stream or an invalid table.
Pure Python 3, no packages.
"""
import bisect
import json
import sys

L = 1 << 23          # the state's lower bound
PRECISION = 16       # table frequencies sum to 2^16
MAX_BYPASS_BITS = 16  # widest raw-bits chunk of an escape
MAX_GAMMA_PREFIX = 32


class Damaged(Exception):
    pass


def check_table(table):
    cdf, offset = table["cdf"], table["offset"]
    if not 2 <= len(cdf) <= (1 << PRECISION) + 1 or cdf[0] != 0 or cdf[-1] != 1 << PRECISION:
        raise Damaged("invalid table: bad length, first or last entry")
    if any(b <= a for a, b in zip(cdf, cdf[1:])):
        raise Damaged("invalid table: a symbol has frequency 0")
    if not (-2**31 <= offset and offset + len(cdf) - 3 <= 2**31 - 1):
        raise Damaged("invalid table: offset out of Int32")


class Decoder:
    def __init__(self, data, trace):
        self.data, self.pos, self.trace = data, 0, trace
        self.x = 0
        for _ in range(4):
            self.x = (self.x << 8) | self.next_byte()
        if self.x < L:
            raise Damaged("initial state 0x%08x below 2^23" % self.x)
        self.log("state 0x%08x (bytes 0-3)" % self.x)

    def log(self, line):
        if self.trace:
            print(line)

    def next_byte(self):
        if self.pos >= len(self.data):
            raise Damaged("read past the end at byte %d" % self.pos)
        self.pos += 1
        return self.data[self.pos - 1]

    def step(self, start, freq, bits, what):
        """Removes the interval [start, start + freq) of 2^bits from the state, then renormalises."""
        before = self.x
        slot = self.x & ((1 << bits) - 1)
        self.x = freq * (self.x >> bits) + slot - start
        read = []
        while self.x < L:
            read.append(self.pos)
            self.x = (self.x << 8) | self.next_byte()
        self.log("0x%08x slot %5d/2^%-2d %-22s -> 0x%08x%s" % (
            before, slot, bits, what, self.x,
            " (read byte%s %s)" % ("s" if len(read) > 1 else "", ",".join(map(str, read))) if read else ""))

    def symbol(self, cdf):
        slot = self.x & ((1 << PRECISION) - 1)
        s = bisect.bisect_right(cdf, slot) - 1
        return s, slot

    def raw_bits(self, bits):
        value = self.x & ((1 << bits) - 1)
        self.step(value, 1, bits, "bypass %d" % value)
        return value

    def value(self, table):
        cdf, offset = table["cdf"], table["offset"]
        escape = len(cdf) - 2
        s, _ = self.symbol(cdf)
        if s != escape:
            self.step(cdf[s], cdf[s + 1] - cdf[s], PRECISION, "symbol %d = value %d" % (s, offset + s))
            return offset + s
        self.step(cdf[s], cdf[s + 1] - cdf[s], PRECISION, "symbol %d = escape" % s)
        k = 0
        while self.raw_bits(1) == 1:
            k += 1
            if k > MAX_GAMMA_PREFIX:
                raise Damaged("Elias-gamma prefix too long")
        m, done = 1 << k, 0
        while done < k:
            width = min(k - done, MAX_BYPASS_BITS)
            m |= self.raw_bits(width) << done
            done += width
        u = m - 1
        low, high = offset, offset + escape  # direct values: low <= v < high
        v = high + u // 2 if u % 2 == 0 else low - (u + 1) // 2
        if not -2**31 <= v <= 2**31 - 1:
            raise Damaged("escaped value %d outside Int32" % v)
        self.log("escape: k %d, m %d, u %d -> value %d" % (k, m, u, v))
        return v

    def finish(self):
        if self.x != L or self.pos != len(self.data):
            raise Damaged("bad end: state 0x%08x, %d bytes unread" % (self.x, len(self.data) - self.pos))
        self.log("end: state 0x%08x = 2^23, all %d bytes read" % (self.x, self.pos))


def main(argv):
    args = [a for a in argv[1:] if a != "--trace"]
    if len(args) != 2:
        sys.exit(__doc__)
    with open(args[0]) as f:
        spec = json.load(f)
    with open(args[1], "rb") as f:
        data = f.read()
    try:
        tables = spec["tables"]
        for table in tables:
            check_table(table)
        decoder = Decoder(data, "--trace" in argv)
        values = [decoder.value(tables[t]) for t in spec["tableIndexes"]]
        decoder.finish()
    except Damaged as error:
        print("range_decode.py: %s" % error, file=sys.stderr)
        return 1
    print(json.dumps(values))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
