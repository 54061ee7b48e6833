import AEData
import AEFormats
import AEBase
import AENet
import XCTest

final class NpyFileTests: XCTestCase {
    func testVersion1And2() throws {
        let truth = try DataFixtures.groundTruth()
        let v1 = try NpyFile(path: DataFixtures.path("images.npy"))
        let v2 = try NpyFile(path: DataFixtures.path("images_v2.npy"))
        XCTAssertEqual(v1.images.count, 4)
        XCTAssertEqual(v1.images.pixels, truth)
        XCTAssertEqual(v2.images.pixels, truth)
        XCTAssertEqual(v1.formatVersion, "1.0")
        XCTAssertEqual(v2.formatVersion, "2.0")
        XCTAssertEqual(v1.dtype, "|u1")
    }

    func testRefusals() {
        let float = DataFixtures.dataError { _ = try NpyFile(path: DataFixtures.path("float32.npy")) }
        XCTAssertEqual(float?.description.hasSuffix("dtype '<f4' is not supported; expected uint8 ('|u1')"), true,
                       String(describing: float))
        let fortran = DataFixtures.dataError { _ = try NpyFile(path: DataFixtures.path("fortran.npy")) }
        guard case .unsupportedFormat(_, let reason)? = fortran else { return XCTFail(String(describing: fortran)) }
        XCTAssertTrue(reason.contains("Fortran order"))
        let shape = DataFixtures.dataError { _ = try NpyFile(path: DataFixtures.path("wrong_shape.npy")) }
        guard case .wrongShape(_, let shapeReason)? = shape else { return XCTFail(String(describing: shape)) }
        XCTAssertEqual(shapeReason, "array has shape (4, 28, 28, 3), expected (N, 32, 32, 3)")
        let notNpy = DataFixtures.dataError { _ = try NpyFile(path: DataFixtures.path("images_plain.mat")) }
        guard case .unrecognizedFormat? = notNpy else { return XCTFail(String(describing: notNpy)) }
    }

    func testTruncatedAndPaddedFiles() throws {
        let bytes = try DataFixtures.bytes("images.npy")
        for cut in [0, 5, 9, 60, 127, 128, 129, 3000, bytes.count - 1] {
            let error = DataFixtures.dataError { _ = try NpyFile(bytes: Array(bytes[..<cut]), path: "t.npy") }
            switch error {
            case .corrupt?, .unrecognizedFormat?: break
            default: XCTFail("cut \(cut): \(String(describing: error))")
            }
        }
        let extra = DataFixtures.dataError { _ = try NpyFile(bytes: bytes + [0, 0], path: "t.npy") }
        XCTAssertEqual(extra, .corrupt(path: "t.npy", reason: "2 unexpected bytes follow the (4, 32, 32, 3) array data"))
    }

    /// Builds a .npy file around a header dictionary text.
    private func npy(_ dict: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        var header = Array(dict.utf8)
        let prefix = version == 1 ? 10 : 12
        while (prefix + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        let n = header.count
        out += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0]
        return out + header + data
    }

    func testHeaderVariants() throws {
        let data = [UInt8](repeating: 7, count: 2 * 3072)
        // Keys in another order, double quotes, no trailing comma, Python 2 longs.
        let a = try NpyFile(bytes: npy("{\"shape\": (2L, 32L, 32L, 3L), \"fortran_order\": False, \"descr\": \"|u1\"}", data: data))
        XCTAssertEqual(a.images.count, 2)
        let b = try NpyFile(bytes: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2, 32, 32, 3), }", data: data, version: 3))
        XCTAssertEqual(b.images.pixels, data)
        let zero = try NpyFile(bytes: npy("{'descr': '|u1', 'fortran_order': False, 'shape': (0, 32, 32, 3), }", data: []))
        XCTAssertEqual(zero.images.count, 0)

        let structured = DataFixtures.dataError {
            _ = try NpyFile(bytes: self.npy("{'descr': [('a', '|u1')], 'fortran_order': False, 'shape': (2,), }", data: []))
        }
        XCTAssertTrue(structured?.description.contains("structured dtype") ?? false, String(describing: structured))
        let scalar = DataFixtures.dataError {
            _ = try NpyFile(bytes: self.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", data: [1]))
        }
        XCTAssertTrue(scalar?.description.contains("shape (), expected (N, 32, 32, 3)") ?? false, String(describing: scalar))
        let oneD = DataFixtures.dataError {
            _ = try NpyFile(bytes: self.npy("{'descr': '|u1', 'fortran_order': False, 'shape': (3072,), }", data: data))
        }
        XCTAssertTrue(oneD?.description.contains("shape (3072,)") ?? false, String(describing: oneD))
        let garbage = DataFixtures.dataError { _ = try NpyFile(bytes: self.npy("{'descr': '|u1', 'shape': (2, 32", data: data)) }
        guard case .corrupt? = garbage else { return XCTFail(String(describing: garbage)) }
        let version = DataFixtures.dataError { _ = try NpyFile(bytes: self.npy("{}", data: [], version: 9)) }
        XCTAssertTrue(version?.description.contains("format version 9.0") ?? false, String(describing: version))
    }
}
