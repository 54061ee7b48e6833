@testable import AECommandLine
import AENet
import XCTest

/// A blown-up epoch is recognised before its checkpoint is written (TrainingJob keeps the
/// epoch before): a loss that is not finite, or over ten times the best earlier epoch's.
final class TrainingDivergenceTests: XCTestCase {
    private func history(_ losses: [(train: Double, validation: Double?)]) -> [EpochRecord] {
        losses.enumerated().map { i, l in
            EpochRecord(epoch: i + 1, trainLoss: l.train, validationLoss: l.validation, seconds: 1, imagesPerSecond: 1)
        }
    }

    func testHealthyRunsPass() {
        XCTAssertNil(TrainingDivergence.reason([]))
        XCTAssertNil(TrainingDivergence.reason(history([(21.2, 6.38)])), "a first epoch has nothing to compare with")
        XCTAssertNil(TrainingDivergence.reason(history([(21.2, 6.38), (5.04, 4.24), (3.38, 2.82), (2.80, 2.21)])))
        // Worse, but not blown up: a noisy epoch up to ten times the best.
        XCTAssertNil(TrainingDivergence.reason(history([(3.0, 2.0), (2.5, 19.9)])))
        XCTAssertNil(TrainingDivergence.reason(history([(3.0, nil), (29.9, nil)])))
    }

    func testBlownUpEpochsAreCaught() throws {
        // The photo run of 2026-11-29: epoch 5 after four good ones.
        let photo = history([(21.2, 6.38), (5.04, 4.24), (3.38, 2.82), (2.80, 2.21), (2.16e19, 2.79e14)])
        let reason = try XCTUnwrap(TrainingDivergence.reason(photo))
        XCTAssertTrue(reason.contains("validation loss 2.79e+14 is over 10 times the best earlier epoch's (2.21)"), reason)
        XCTAssertEqual(TrainingDivergence.reason(history([(3.0, 2.0), (.nan, 2.0)])), "its training loss is nan")
        XCTAssertEqual(TrainingDivergence.reason(history([(3.0, 2.0), (3.0, .infinity)])), "its validation loss is inf")
        XCTAssertNotNil(TrainingDivergence.reason(history([(3.0, nil), (30.1, nil)])), "training loss without validation")
        XCTAssertEqual(TrainingDivergence.reason(history([(.nan, nil)])), "its training loss is nan", "even in the first epoch")
    }
}
