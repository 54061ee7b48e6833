@testable import AECommandLine
import XCTest

/// The note that points photos coded with the default tile model to the photo codec.
final class DefaultModelNoteTests: XCTestCase {
    private func result(_ name: String, _ width: Int, _ height: Int) -> CodecJob.FileResult {
        CodecJob.FileResult(task: CodecJob.Task(input: .file(name), output: .file(name + ".ael")),
                            width: width, height: height, latentBytes: 100)
    }

    private let levels = { [1, 2, 3] }

    func testNamesThePhotoCodedWithTheDefaultModel() throws {
        let note = try XCTUnwrap(DefaultModelNote.text(direction: .encode, model: nil,
                                                       results: [result("digit.png", 32, 32), result("kodim01.png", 768, 512)],
                                                       photoLevels: levels))
        XCTAssertTrue(note.contains("kodim01.png"), note)
        XCTAssertTrue(note.contains("--model photo (the photo codec, -q 1-3)"), note)
        let two = DefaultModelNote.text(direction: .encode, model: nil,
                                        results: [result("a.png", 768, 512), result("b.png", 128, 200)], photoLevels: levels)
        XCTAssertTrue(two?.contains("2 of the images") == true, two ?? "nil")
        let one = DefaultModelNote.text(direction: .encode, model: nil, results: [result("a.png", 768, 512)], photoLevels: { [4] })
        XCTAssertTrue(one?.contains("(the photo codec, -q 4)") == true, one ?? "nil")
    }

    func testQuietForDigitsAGivenModelDecodingOrNoPhotoLevels() {
        let photo = [result("kodim01.png", 768, 512)]
        XCTAssertNil(DefaultModelNote.text(direction: .encode, model: nil,
                                           results: [result("d.png", 32, 32), result("e.png", 127, 400)], photoLevels: levels))
        XCTAssertNil(DefaultModelNote.text(direction: .encode, model: "svhn-64", results: photo, photoLevels: levels))
        XCTAssertNil(DefaultModelNote.text(direction: .decode, model: nil, results: photo, photoLevels: levels))
        XCTAssertNil(DefaultModelNote.text(direction: .encode, model: nil, results: photo, photoLevels: { [] }))
    }
}
