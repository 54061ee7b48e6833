import AENet
@testable import AECodec
@testable import AECommandLine
@testable import AEData
@testable import AEFormats
import AEBase
import AETestSupport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Headers that lie about sizes, for every format a tool reads: each must be refused at
/// once, naming the file and the problem, before anything sized by the lie is allocated
/// (Specs/latent-file.md section 9, Specs/model-bundle.md section 10, README "Fuzzing").
/// The last test runs the tools on such files and measures their peak memory.
final class ResourceLimitTests: XCTestCase {
    /// Generous for a debug build on a busy machine; a reader that allocated or inflated
    /// what these headers claim would take far longer (or be killed).
    static let quick: TimeInterval = 2

    private var folder = ""

    override func setUpWithError() throws {
        folder = try TestFiles.temporaryFolder(self)
    }

    /// Writes `bytes` to `name` in the test's folder and returns the path.
    private func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = folder + "/" + name
        try TestFiles.write(bytes, to: path)
        return path
    }

    /// A file of `size` bytes that starts with `head` and is otherwise a hole (no disk,
    /// no memory): how a stranger's huge file looks to a reader.
    private func sparse(_ head: [UInt8], size: Int, _ name: String) throws -> String {
        let path = try write(head, name)
        XCTAssertEqual(truncate(path, off_t(size)), 0, "truncate \(path)")
        return path
    }

    /// Asserts that `body` throws one of the readers' typed errors within `quick` seconds
    /// and that its message contains every string in `mentions`; returns the message.
    @discardableResult
    private func assertRefused(_ mentions: [String], file: StaticString = #filePath, line: UInt = #line,
                               _ body: () throws -> Void) -> String {
        let start = Date()
        var message = ""
        do {
            try body()
            XCTFail("not refused", file: file, line: line)
        } catch {
            let typed = error is FileError || error is LatentFileError || error is BundleError || error is DataSourceError
                || error is CodecError || error is PNGError
            XCTAssertTrue(typed, "untyped error \(type(of: error)): \(error)", file: file, line: line)
            message = "\(error)"
            for m in mentions {
                XCTAssertTrue(message.contains(m), "'\(message)' does not mention '\(m)'", file: file, line: line)
            }
        }
        let seconds = Date().timeIntervalSince(start)
        XCTAssertLessThan(seconds, Self.quick, "refusal took \(seconds) s: \(message)", file: file, line: line)
        return message
    }

    // MARK: - Latent files

    /// A 1.0 latent file header with these fields, then `sections`, and a valid CRC.
    static func latentFile(width: Int, height: Int, coding: UInt8 = 0x51, latentDim: Int,
                           alphaLength: Int? = nil, sections: [UInt8] = []) -> [UInt8] {
        var b = LatentFile.magic + [0x10] + [UInt8](repeating: 7, count: 8)
        for v in [width, height] { LatentFileCodec.appendVarint(v, to: &b) }
        b += [0x23, coding]
        LatentFileCodec.appendVarint(latentDim, to: &b)
        if let alphaLength { LatentFileCodec.appendVarint(alphaLength, to: &b) }
        b += sections
        let crc = Zlib.crc32(b)
        for k in 0..<4 { b.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return b
    }

    func testLatentFileClaiming100000By100000IsRefusedAtItsWidth() throws {
        let path = try write(Self.latentFile(width: 100_000, height: 100_000, latentDim: 64, sections: [1, 2, 3]), "huge.ael")
        assertRefused([path, "width is 100000", "limit of 16384"]) { _ = try LatentFile.read(path: path) }
        assertRefused([path, "width"]) { _ = try LatentInfo(path: path) }
    }

    func testLatentPayloadZlibBombStopsAtTheDeclaredSize() throws {
        // 32x32 tiles of a 1024x1024 image at latent 1024: 2 MiB of float16 latents,
        // held in a compressed payload that would inflate to 32 MiB.
        let bomb = Zlib.compress([UInt8](repeating: 0, count: 32 << 20), level: 9)
        XCTAssertLessThan(bomb.count, 2 << 20)
        let path = try write(Self.latentFile(width: 1024, height: 1024, coding: 0x55, latentDim: 1024, sections: bomb), "bomb.ael")
        assertRefused([path, "latent payload", "more than the allowed 2097152 bytes"]) { _ = try LatentFile.read(path: path) }

        // The alpha plane of a 32x32 image (1,024 bytes) as a stream of 16 MiB.
        let alphaBomb = Zlib.compress([UInt8](repeating: 0xFF, count: 16 << 20), level: 9)
        let payload = [UInt8](repeating: 0x3C, count: 2 * 8)  // 1 tile x 8 float16 values, stored
        let alphaPath = try write(Self.latentFile(width: 32, height: 32, coding: 0x59, latentDim: 8, alphaLength: alphaBomb.count,
                                                  sections: payload + alphaBomb), "alpha-bomb.ael")
        assertRefused([alphaPath, "alpha plane", "more than the allowed 1024 bytes"]) { _ = try LatentFile.read(path: alphaPath) }
    }

    /// A 2.x (entropy-coded) latent file header with these fields, then `sections` (the
    /// extension block, the alpha section and the stream), and a valid CRC.
    static func codedLatentFile(width: Int, height: Int, version: UInt8 = 0x20, flags: UInt8 = 0, sections: [UInt8]) -> [UInt8] {
        var b = LatentFile.magic + [version] + [UInt8](repeating: 7, count: 8)
        for v in [width, height] { LatentFileCodec.appendVarint(v, to: &b) }
        b += [0x23, flags] + sections
        let crc = Zlib.crc32(b)
        for k in 0..<4 { b.append(UInt8(truncatingIfNeeded: crc >> (8 * k))) }
        return b
    }

    func testCodedLatentFilesThatLieAreRefusedBeforeAllocating() throws {
        // Specs/latent-file.md 12.5: 2.x keeps 1.x's limits on width, height and the alpha plane.
        let stream: [UInt8] = [1, 2, 3, 4]
        let huge = try write(Self.codedLatentFile(width: 100_000, height: 100_000, sections: stream), "huge-v2.ael")
        assertRefused([huge, "width is 100000", "limit of 16384"]) { _ = try LatentFiles.read(path: huge) }
        assertRefused([huge, "width"]) { _ = try AnyLatentInfo(path: huge) }
        let tall = try write(Self.codedLatentFile(width: 16_384, height: 16_384, sections: stream), "tall-v2.ael")
        assertRefused([tall, "134217728"]) { _ = try LatentFiles.read(path: tall) }

        // The alpha plane of a 32x32 image (1,024 bytes) as a stream of 16 MiB.
        let alphaBomb = Zlib.compress([UInt8](repeating: 0xFF, count: 16 << 20), level: 9)
        var alpha: [UInt8] = []
        LatentFileCodec.appendVarint(alphaBomb.count, to: &alpha)
        let bomb = try write(Self.codedLatentFile(width: 32, height: 32, flags: 1, sections: alpha + alphaBomb + stream),
                             "alpha-bomb-v2.ael")
        assertRefused([bomb, "alpha plane"]) { _ = try LatentFiles.read(path: bomb) }
        assertRefused([bomb, "alpha plane"]) { _ = try AnyLatentInfo(path: bomb) }

        // An extension block claiming more than its limit, and more than the file holds.
        var ext: [UInt8] = []
        LatentFileCodec.appendVarint(1 << 20, to: &ext)
        let long = try write(Self.codedLatentFile(width: 32, height: 32, flags: 2, sections: ext + stream), "ext-v2.ael")
        assertRefused([long, "extension", "65536"]) { _ = try LatentFiles.read(path: long) }

        // Metadata records (2.1) that declare 20 MiB in all (five 4 MiB records of 4 KB each):
        // refused at their declared sizes, before any is inflated.
        let path = try write(Self.metadataClaim(), "metadata-v2.1.ael")
        assertRefused([path, "metadata (inflated bytes) is 20971520, more than the limit of 16777216"]) {
            _ = try LatentFiles.read(path: path)
        }
    }

    /// A 2.1 file whose extension block holds five text records, each a zlib stream that
    /// claims (and inflates to) 4 MiB.
    static func metadataClaim() -> [UInt8] {
        let stream = Zlib.compress([UInt8](repeating: 0x41, count: 4 << 20), level: 9)
        var record: [UInt8] = [4, 1]
        for v in [stream.count, 4 << 20] { LatentFileCodec.appendVarint(v, to: &record) }
        let block = Array([[UInt8]](repeating: record + stream, count: 5).joined())
        var ext: [UInt8] = []
        LatentFileCodec.appendVarint(block.count, to: &ext)
        return codedLatentFile(width: 32, height: 32, version: 0x21, flags: 2, sections: ext + block + [1, 2, 3, 4])
    }

    func testLatentFileOverTheFileLimitIsNotRead() throws {
        let path = try sparse(LatentFile.magic + [0x10], size: LatentFile.Limits.fileBytes + 1, "sparse.ael")
        assertRefused([path, "over the 1073741824-byte limit"]) { _ = try LatentFile.read(path: path) }
    }

    func testStreamsAreCutOffAtTheirLimit() throws {
        // Standard input has no size to check first: it is read up to the limit and refused.
        let path = try write([UInt8](repeating: 7, count: 200_000), "stream")
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        assertRefused(["stream", "over the 100000-byte limit"]) { _ = try FileBytes.readAll(fd, limit: 100_000, path: "stream") }
        XCTAssertEqual(lseek(fd, 0, SEEK_SET), 0)
        XCTAssertEqual(try FileBytes.readAll(fd, limit: 200_000, path: "stream").count, 200_000)
    }

    // MARK: - Model bundles

    /// A valid bundle with one float32 tensor of 4 values and minimal metadata.
    private func smallBundle() throws -> [UInt8] {
        let metadata = Array(#"{"kind": "model"}"#.utf8)
        return BundleContainer.assemble(metadataJSON: metadata, tensors: [
            .init(name: "t", elementType: .f32, shape: [4], bytes: [UInt8](repeating: 0, count: 16))])
    }

    func testBundleTensorClaiming4GBIsRefusedAtTheTable() throws {
        var b = try smallBundle()
        let table = Int(TestBytes.u64(b, 40))
        TestBytes.put(UInt64(1) << 30, &b, at: table + 24)  // dimension 0: 2^30 float32 values
        TestBytes.put(UInt64(4) << 30, &b, at: table + 16)  // byte length: 4 GiB
        TestBytes.refreshBundleChecksums(&b)
        let path = try write(b, "huge-tensor.aemodel")
        assertRefused([path, "dimension 1073741824, larger than the data section"]) { _ = try ModelBundle.read(path: path) }
        assertRefused([path, "dimension 1073741824"]) { _ = try ModelBundle.decode(b, path: path) }
    }

    func testBundleMetadataAndTableLengthsOverTheLimitsAreRefused() throws {
        for (field, name) in [(32, "metadata length"), (48, "tensor table length")] {
            var b = try smallBundle()
            TestBytes.put(UInt64(1) << 40, &b, at: field)
            TestBytes.refreshBundleChecksums(&b)
            let path = try write(b, "huge-\(field).aemodel")
            assertRefused([path, "\(name) is 1099511627776", "limit of 16777216"]) { _ = try ModelBundle.read(path: path) }
        }
        var count = try smallBundle()
        TestBytes.put(UInt32.max, &count, at: 72)
        TestBytes.refreshBundleChecksums(&count)
        assertRefused(["tensor count is 4294967295"]) { _ = try ModelBundle.decode(count, path: "count.aemodel") }
    }

    func testDeeplyNestedBundleMetadataIsRefusedWithoutExhaustingTheStack() throws {
        for depth in [600, 100_000] {
            let json = Array(String(repeating: "[", count: depth).utf8) + Array(String(repeating: "]", count: depth).utf8)
            let b = BundleContainer.assemble(metadataJSON: json, tensors: [])
            assertRefused(["nested.aemodel", "invalid metadata"]) { _ = try ModelBundle.decode(b, path: "nested.aemodel") }
        }
    }

    func testBundleFileOverTheFileLimitIsNotRead() throws {
        // A header that agrees with the file's (sparse) size of 1 GiB + 64 bytes.
        var b = try smallBundle()
        let size = BundleContainer.Limits.fileLength + 64
        TestBytes.put(UInt64(size), &b, at: 16)
        TestBytes.refreshBundleChecksums(&b)
        let path = try sparse(b, size: size, "sparse.aemodel")
        assertRefused([path, "file size is \(size)", "limit of 1073741824"]) { _ = try ModelBundle.read(path: path) }
        assertRefused([path, "file size"]) { _ = try BundleInfo(path: path) }
    }

    // MARK: - MAT files

    /// A MAT v5 header (128 bytes, little-endian).
    static func matHeader() -> [UInt8] {
        var h = Array("MATLAB 5.0 MAT-file, written by ResourceLimitTests".utf8)
        h += [UInt8](repeating: 0x20, count: 116 - h.count) + [UInt8](repeating: 0, count: 8)
        return h + [0x00, 0x01, UInt8(ascii: "I"), UInt8(ascii: "M")]
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    /// A data element: tag, payload, zero padding to 8 bytes.
    static func matElement(_ type: UInt32, _ payload: [UInt8]) -> [UInt8] {
        le32(type) + le32(UInt32(payload.count)) + payload + [UInt8](repeating: 0, count: (8 - payload.count % 8) % 8)
    }

    /// A uint8 miMATRIX variable `X` with dimensions `dims` and `data` as its real part.
    static func matVariable(dims: [Int32], data: [UInt8]) -> [UInt8] {
        let body = matElement(6, le32(9) + le32(0))  // array flags: class uint8
            + matElement(5, dims.flatMap { le32(UInt32(bitPattern: $0)) })
            + matElement(1, Array("X".utf8))
            + matElement(2, data)
        return le32(14) + le32(UInt32(body.count)) + body
    }

    func testMATVariableClaimingHugeArraysIsRefused() throws {
        let path = try write(Self.matHeader() + Self.matVariable(dims: [32, 32, 3, Int32.max], data: [1, 2, 3]), "huge.mat")
        assertRefused([path, "32x32x3x2147483647", "hold 3 bytes"]) { _ = try MATFile(path: path) }

        // A compressed variable whose miMATRIX tag claims 4 GiB from a few bytes.
        let claim = Zlib.compress(Self.le32(14) + Self.le32(0xFFFF_FFF0) + [UInt8](repeating: 0, count: 64))
        let claimPath = try write(Self.matHeader() + Self.matElement(15, claim), "claim.mat")
        assertRefused([claimPath, "declares 4294967288 bytes, impossible"]) { _ = try MATFile(path: claimPath) }
    }

    func testMATCompressedZlibBombStopsAtTheDeclaredSize() throws {
        // A valid one-image variable followed, inside the same stream, by 64 MiB of zeros.
        let variable = Self.matVariable(dims: [32, 32, 3], data: [UInt8](repeating: 9, count: 3072))
        let bomb = Zlib.compress(variable + [UInt8](repeating: 0, count: 64 << 20), level: 9)
        let path = try write(Self.matHeader() + Self.matElement(15, bomb), "bomb.mat")
        assertRefused([path, "more than the allowed \(variable.count) bytes"]) { _ = try MATFile(path: path) }
    }

    func testMATAndNpyFilesOverTheFileLimitAreNotRead() throws {
        let mat = try sparse(Self.matHeader(), size: (1 << 32) + 1, "sparse.mat")
        assertRefused([mat, "over the 4294967296-byte limit"]) { _ = try MATFile(path: mat) }
        let npy = try sparse(Self.npy(shape: "(1, 32, 32, 3)"), size: (1 << 32) + 1, "sparse.npy")
        assertRefused([npy, "over the 4294967296-byte limit"]) { _ = try NpyFile(path: npy) }
    }

    // MARK: - .npy files

    /// A version 1.0 .npy header of a uint8 array of `shape` (no data).
    static func npy(shape: String) -> [UInt8] {
        var header = Array("{'descr': '|u1', 'fortran_order': False, 'shape': \(shape), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
    }

    func testNpyClaimingHugeArraysIsRefused() throws {
        let path = try write(Self.npy(shape: "(1000000000000, 32, 32, 3)") + [1, 2, 3], "huge.npy")
        assertRefused([path, "needs 3072000000000000 data bytes but only 3 follow"]) { _ = try NpyFile(path: path) }
        let overflow = try write(Self.npy(shape: "(9223372036854775807, 32, 32, 3)"), "overflow.npy")
        assertRefused([overflow, "too many data bytes"]) { _ = try NpyFile(path: overflow) }
    }

    // MARK: - PNG

    /// A PNG whose IHDR says `width` x `height` with `depth` and `interlace`, and whose
    /// IDAT holds `idat` (raw, to be compressed).
    static func png(width: UInt32, height: UInt32, depth: UInt8 = 8, colorType: UInt8 = 2, interlace: UInt8 = 0,
                    idat: [UInt8]) -> [UInt8] {
        var ihdr: [UInt8] = []
        TestPNG.be32(Int(width), &ihdr)
        TestPNG.be32(Int(height), &ihdr)
        ihdr += [depth, colorType, 0, 0, interlace]
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        TestPNG.chunk("IHDR", ihdr, &png)
        TestPNG.chunk("IDAT", Zlib.compress(idat), &png)
        TestPNG.chunk("IEND", [], &png)
        return png
    }

    func testPNGClaiming100000By100000IsRefusedAtItsHeader() throws {
        let flat = Self.png(width: 100_000, height: 100_000, idat: [0, 1, 2, 3])
        let path = try write(flat, "huge.png")
        assertRefused([path, "100000x100000"]) { _ = try CodecImage.decodePNG(flat, path: path) }
        assertRefused(["100000x100000", "134217728-pixel limit"]) { _ = try PNGImage.decode(flat) }
        // 16-bit Adam7 files go through the codec's own de-interlacer first.
        let interlaced = Self.png(width: 100_000, height: 100_000, depth: 16, interlace: 1, idat: [0, 1, 2, 3])
        assertRefused(["100000x100000", "134217728-pixel limit"]) { _ = try PNGImage.decode(interlaced) }
    }

    func testPNGImageDataZlibBombStopsAtTheImageSize() throws {
        // A 16-bit RGB Adam7 image of 64x64 (about 25 KiB of filtered rows) whose IDAT
        // inflates to 64 MiB: the de-interlacer stops at the image's size.
        let bomb = Self.png(width: 64, height: 64, depth: 16, interlace: 1, idat: [UInt8](repeating: 0, count: 64 << 20))
        XCTAssertLessThan(bomb.count, 1 << 20)
        assertRefused(["zlib stream decompresses to more than the allowed"]) { _ = try PNGImage.decode(bomb) }
    }

    // MARK: - Peak memory of the tools

    /// Runs a built tool and returns its exit status, standard error and peak resident
    /// memory (`ru_maxrss` of exactly that child, from wait4), in bytes.
    private func run(_ tool: String, _ arguments: [String], stdin: String = "/dev/null") throws -> (status: Int32, stderr: String, peak: Int) {
        let r = try ToolProcess.run(tool, arguments, stdin: stdin, stdout: .file("/dev/null"))
        return (r.status, r.stderr, r.peakMemory)
    }

    /// Memory a tool may use to refuse a lying header, beyond what the same tool uses on
    /// a tiny valid (or plainly refused) file: the budget of README "Fuzzing".
    static let refusalBudget = 16 << 20

    func testToolsRefuseLyingHeadersWithinAFixedMemoryBudget() throws {
        let root = TestFixtures.repositoryRoot
        let out = { (name: String) in self.folder + "/" + name }
        var bundle = try smallBundle()
        let table = Int(TestBytes.u64(bundle, 40))
        TestBytes.put(UInt64(1) << 30, &bundle, at: table + 24)
        TestBytes.put(UInt64(4) << 30, &bundle, at: table + 16)
        TestBytes.refreshBundleChecksums(&bundle)
        // Each tool's baseline: the same command on a small committed fixture.
        let baselines: [String: [String]] = [
            "aeinfo": [root + "/Fixtures/latent/golden-v1.ael"],
            "aetrain": [root + "/Fixtures/data/no_x.mat", "-o", out("base.aemodel")],
            "aeenc": [root + "/Fixtures/samples/house-number.png", "-o", out("base.ael")],
        ]
        var peaks: [String: Int] = [:]
        for (tool, arguments) in baselines {
            let r = try run(tool, arguments)
            XCTAssertTrue(r.status == 0 || r.status == 1, "\(tool): \(r.stderr)")
            peaks[tool] = r.peak
        }
        let cases: [(tool: String, file: String, mention: String)] = [
            ("aeinfo", try write(Self.latentFile(width: 100_000, height: 100_000, latentDim: 64, sections: [1, 2, 3]), "huge.ael"), "width"),
            ("aeinfo", try write(Self.codedLatentFile(width: 100_000, height: 100_000, sections: [1, 2, 3, 4]), "huge-v2.ael"), "width"),
            ("aeinfo", try write(bundle, "huge.aemodel"), "dimension 1073741824"),
            ("aeinfo", try write(Self.metadataClaim(), "metadata-v2.1.ael"), "metadata (inflated bytes)"),
            ("aeinfo", try sparse(LatentFile.magic + [0x10], size: LatentFile.Limits.fileBytes + 1, "sparse.ael"), "limit"),
            ("aetrain", try write(Self.matHeader() + Self.matVariable(dims: [32, 32, 3, Int32.max], data: [1]), "huge.mat"), "2147483647"),
            ("aetrain", try write(Self.npy(shape: "(1000000000000, 32, 32, 3)"), "huge.npy"), "3072000000000000"),
            ("aeenc", try write(Self.png(width: 100_000, height: 100_000, idat: [0]), "huge.png"), "100000"),
        ]
        for c in cases {
            let arguments = c.tool == "aeinfo" ? [c.file] : [c.file, "-o", out(c.tool == "aetrain" ? "o.aemodel" : "o.ael")]
            let r = try run(c.tool, arguments)
            XCTAssertEqual(r.status, 1, "\(c.tool) \(c.file): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(c.file) && r.stderr.contains(c.mention), "\(c.tool): \(r.stderr)")
            let baseline = peaks[c.tool] ?? 0
            XCTAssertLessThan(r.peak - baseline, Self.refusalBudget,
                              "\(c.tool) \(c.file): peak \(r.peak) bytes, baseline \(baseline)")
        }
    }

    /// Issue 17.7: endless input (/dev/zero as a file or on standard input) is refused from
    /// its first bytes, within the refusal budget (it used to read 2 GiB and peak at 4.2 GB).
    func testEndlessInputIsRefusedFromItsFirstBytes() throws {
        let root = TestFixtures.repositoryRoot
        let base = try run("aeenc", [root + "/Fixtures/samples/house-number.png", "-o", folder + "/base.ael"])
        XCTAssertEqual(base.status, 0, base.stderr)
        let decodeBase = try run("aedec", [folder + "/base.ael", "-o", folder + "/base.png"])
        XCTAssertEqual(decodeBase.status, 0, decodeBase.stderr)
        for (tool, arguments, stdin, message, baseline) in [
            ("aeenc", ["/dev/zero", "-o", folder + "/z.ael"], "/dev/null", "aeenc: /dev/zero: not a PNG, JPEG or WebP image (starts with 00 00 00 00 00 00 00 00)\n", base.peak),
            ("aeenc", ["-", "-o", folder + "/z.ael"], "/dev/zero", "aeenc: <stdin>: not a PNG, JPEG or WebP image (starts with 00 00 00 00 00 00 00 00)\n", base.peak),
            ("aedec", ["/dev/zero", "-o", folder + "/z.png"], "/dev/null", "aedec: /dev/zero: not a latent file: bad magic\n", decodeBase.peak),
            ("aedec", ["-", "-o", folder + "/z.png"], "/dev/zero", "aedec: <stdin>: not a latent file: bad magic\n", decodeBase.peak),
        ] {
            let start = Date()
            let r = try run(tool, arguments, stdin: stdin)
            XCTAssertEqual(r.status, 1, "\(tool) \(arguments)")
            XCTAssertEqual(r.stderr, message)
            XCTAssertLessThan(r.peak - baseline, Self.refusalBudget, "\(tool) \(arguments): peak \(r.peak), baseline \(baseline)")
            XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        }
    }

    /// Issue 17.6: --threads beyond the cores is capped, so 10,000 threads cost what all
    /// cores cost (it used to take about 3.3 MB per thread, even for one tile).
    func testThreadCountIsCappedToTheCores() throws {
        let sample = TestFixtures.repositoryRoot + "/Fixtures/samples/house-number.png"
        let cores = try run("aeenc", [sample, "-o", folder + "/a.ael", "--threads", String(Parallelism.availableCores)])
        XCTAssertEqual(cores.status, 0, cores.stderr)
        let many = try run("aeenc", [sample, "-o", folder + "/b.ael", "--threads", "10000"])
        XCTAssertEqual(many.status, 0, many.stderr)
        XCTAssertLessThan(many.peak - cores.peak, 4 << 20, "peak \(many.peak) with 10000 threads, \(cores.peak) with the cores")
        XCTAssertEqual(try TestFiles.bytes(folder + "/a.ael"), try TestFiles.bytes(folder + "/b.ael"))
        let decode = try run("aedec", [folder + "/a.ael", "-o", folder + "/a.png", "--threads", "10000"])
        XCTAssertEqual(decode.status, 0, decode.stderr)
        XCTAssertLessThan(decode.peak - cores.peak, 64 << 20)
    }
}
