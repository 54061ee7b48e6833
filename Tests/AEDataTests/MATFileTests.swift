import AEData
import AEFormats
import AEBase
import AENet
import XCTest

final class MATFileTests: XCTestCase {
    private func load(_ name: String) throws -> MATFile {
        try MATFile(path: DataFixtures.path(name))
    }

    func testPlainAndCompressedGiveTheNpyImages() throws {
        let truth = try DataFixtures.groundTruth()
        let plain = try load("images_plain.mat")
        let compressed = try load("images_compressed.mat")
        XCTAssertEqual(plain.images.count, 4)
        XCTAssertEqual(plain.images.imageShape, [32, 32, 3])
        XCTAssertEqual(plain.images.pixels, truth)
        XCTAssertEqual(compressed.images.pixels, truth)
        XCTAssertFalse(plain.compressed)
        XCTAssertTrue(compressed.compressed)
        XCTAssertEqual(plain.variableNames, ["X", "y"])
        XCTAssertEqual(compressed.variableNames, ["X", "y"])
        XCTAssertEqual(plain.imageClass, "uint8")
        XCTAssertEqual(plain.byteOrder, .littleEndian)
        XCTAssertEqual(try NpyFile(path: DataFixtures.path("images.npy")).images.pixels, plain.images.pixels)
    }

    func testColumnMajorToNHWCMapping() throws {
        // X(r, c, ch, i) must land at pixel (i, y = r, x = c, ch) (0-based here). In the
        // plain file X comes first and its uint8 data start at byte 192: header 128,
        // miMATRIX tag 8, flags 16, dims 8 + 16, name (small element) 8, data tag 8.
        let raw = try DataFixtures.bytes("images_plain.mat")
        let pixels = try load("images_plain.mat").images.pixels
        var rng = RandomGenerator(seed: 3)
        for _ in 0..<500 {
            let (i, r, c, ch) = (rng.nextInt(below: 4), rng.nextInt(below: 32), rng.nextInt(below: 32), rng.nextInt(below: 3))
            XCTAssertEqual(pixels[i * 3072 + (r * 32 + c) * 3 + ch], raw[192 + r + 32 * c + 1024 * ch + 3072 * i])
        }
    }

    func testDoubleClassIsConverted() throws {
        let file = try load("images_double.mat")
        XCTAssertEqual(file.imageClass, "double")
        XCTAssertEqual(file.images.count, 2)
        XCTAssertEqual(file.images.pixels, Array(try DataFixtures.groundTruth()[..<(2 * 3072)]))
        XCTAssertEqual(file.variableNames, ["y", "X"])
    }

    func testBigEndianFile() throws {
        let file = try load("images_bigendian.mat")
        XCTAssertEqual(file.byteOrder, .bigEndian)
        XCTAssertEqual(file.variableNames, ["y", "X"])
        XCTAssertEqual(file.images.pixels, try DataFixtures.groundTruth())
    }

    func testSingleImageWithoutTrailingDimension() throws {
        let file = try load("single_image.mat")
        XCTAssertEqual(file.images.count, 1)
        XCTAssertEqual(file.images.pixels, Array(try DataFixtures.groundTruth()[..<3072]))
    }

    func testWrongDimensionsAreRefused() {
        let error = DataFixtures.dataError { _ = try self.load("wrong_dims.mat") }
        guard case .wrongShape(let path, let reason)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(reason, "X has shape 28x28x1x5, expected 32x32x3xN")
        XCTAssertTrue(path.hasSuffix("wrong_dims.mat"))
    }

    func testMissingVariableListsWhatIsThere() {
        let error = DataFixtures.dataError { _ = try self.load("no_x.mat") }
        guard case .missingVariable(_, let name, let found)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(name, "X")
        XCTAssertEqual(found, ["y", "Z"])
        XCTAssertTrue(error!.description.hasSuffix("no_x.mat: no variable 'X' (found: y, Z)"), error!.description)
    }

    func testV73IsRefused() {
        let error = DataFixtures.dataError { _ = try self.load("v73.mat") }
        guard case .unsupportedFormat(_, let reason)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(reason, "MAT v7.3 (HDF5) files are not supported; re-save with -v7 or -v6")
        // Version field alone, or the HDF5 signature alone, are enough.
        var bytes = try! DataFixtures.bytes("v73.mat")
        bytes.replaceSubrange(0..<10, with: Array("MATLAB 5.0".utf8))
        XCTAssertTrue(MATFileTests.isV73Error { _ = try MATFile(bytes: bytes) })
        bytes.replaceSubrange(512..<520, with: [UInt8](repeating: 0, count: 8))
        XCTAssertTrue(MATFileTests.isV73Error { _ = try MATFile(bytes: bytes) })
    }

    private static func isV73Error(_ body: () throws -> Void) -> Bool {
        do { try body() } catch let error as DataSourceError {
            if case .unsupportedFormat(_, let reason) = error { return reason.contains("MAT v7.3 (HDF5)") }
        } catch {}
        return false
    }

    func testOtherClassesAndNormalisedValuesAreRefused() {
        let int16 = DataFixtures.dataError { _ = try self.load("int16.mat") }
        XCTAssertTrue(int16?.description.contains("X has MATLAB class int16; expected uint8, double or single") ?? false,
                      String(describing: int16))
        let normalised = DataFixtures.dataError { _ = try self.load("normalised.mat") }
        XCTAssertTrue(normalised?.description.contains("values in 0..1") ?? false, String(describing: normalised))
    }

    func testNotAMATFile() {
        let error = DataFixtures.dataError { _ = try MATFile(bytes: try DataFixtures.bytes("images.npy"), path: "x.mat") }
        guard case .unrecognizedFormat(let path, _)? = error else { return XCTFail("got \(String(describing: error))") }
        XCTAssertEqual(path, "x.mat")
        let missing = DataFixtures.dataError { _ = try MATFile(path: "/nonexistent/train.mat") }
        XCTAssertEqual(missing, .missingFile(path: "/nonexistent/train.mat"))
    }

    func testEveryTruncationIsRefusedCleanly() throws {
        for name in ["images_plain.mat", "images_compressed.mat", "images_bigendian.mat"] {
            let bytes = try DataFixtures.bytes(name)
            var cuts = Array(stride(from: 0, to: bytes.count, by: 37))
            cuts += [127, 128, 129, 135, 136, 143, 144, 200, bytes.count - 8, bytes.count - 1]
            for cut in cuts {
                do {
                    // A cut exactly between variables leaves a valid, shorter file.
                    let file = try MATFile(bytes: Array(bytes[..<cut]), path: name)
                    XCTAssertEqual(file.images.pixels, try DataFixtures.groundTruth(), "\(name) cut at \(cut)")
                } catch let error as DataSourceError {
                    switch error {
                    case .corrupt, .unrecognizedFormat: break
                    case .missingVariable(_, _, let found) where found == [] || found == ["y"]:
                        break  // cut right after the header, or right after y: a valid file without X
                    default: XCTFail("\(name) cut at \(cut): \(error)")
                    }
                }
            }
        }
    }

    func testLyingSizeFieldsAreCaught() throws {
        // The first element's size field, made huge: refused before any allocation.
        var bytes = try DataFixtures.bytes("images_plain.mat")
        bytes.replaceSubrange(132..<136, with: [0xF0, 0xFF, 0xFF, 0x7F])
        let error = DataFixtures.dataError { _ = try MATFile(bytes: bytes) }
        XCTAssertTrue(error?.description.contains("declares") ?? false, String(describing: error))

        // A compressed stream with a flipped byte inside: a clear corrupt error.
        var compressed = try DataFixtures.bytes("images_compressed.mat")
        compressed[200] ^= 0xFF
        compressed[201] ^= 0x55
        let zlibError = DataFixtures.dataError { _ = try MATFile(bytes: compressed) }
        if case .corrupt? = zlibError {} else { XCTFail("got \(String(describing: zlibError))") }
    }

    func testRandomDamageNeverCrashes() throws {
        var rng = RandomGenerator(seed: 11)
        for name in ["images_plain.mat", "images_compressed.mat", "images_bigendian.mat"] {
            let original = try DataFixtures.bytes(name)
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<(1 + rng.nextInt(below: 4)) {
                    // Mostly damage headers and tags (the first 300 bytes), sometimes anywhere.
                    let range = rng.nextInt(below: 3) == 0 ? bytes.count : 300
                    bytes[rng.nextInt(below: range)] = UInt8(truncatingIfNeeded: rng.next())
                }
                do {
                    let file = try MATFile(bytes: bytes)
                    XCTAssertEqual(file.images.pixels.count % 3072, 0)
                } catch is DataSourceError {
                } catch {
                    XCTFail("\(name): non-DataSourceError \(error)")
                }
            }
        }
    }
}
