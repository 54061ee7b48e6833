import AEData
import AEFormats
import AEBase
import AENet
import AETestSupport
import Foundation
import XCTest

/// Checks against the real data in the shared datasets folder; skipped when absent.
final class SharedDatasetTests: XCTestCase {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    func testRealTrainMATEqualsTheNpyCopy() throws {
        let svhn = try TestFixtures.sharedDatasets() + "/svhn/cropped_subset"
        var mat: MATFile!
        let time = try seconds { mat = try MATFile(path: svhn + "/train_32x32_subset.mat") }
        print("real SVHN train MAT (4,434 images) loaded in \(String(format: "%.3f", time)) s")
        XCTAssertEqual(mat.images.count, 4434)
        XCTAssertTrue(mat.compressed)
        XCTAssertEqual(mat.variableNames, ["X", "y"])
        let npy = try NpyFile(path: svhn + "/train_images.npy")
        XCTAssertEqual(npy.images.count, 4434)
        XCTAssertTrue(mat.images.pixels == npy.images.pixels, "MAT and npy copies differ")

        let test = try MATFile(path: svhn + "/test_32x32_subset.mat")
        XCTAssertEqual(test.images.count, 1952)
    }

    func testRecipeCropsMatchTheOfficialStyleCrops() throws {
        // Un-augmented crops from the train photos are the cropped_subset train images
        // up to the resampling filter (bilinear-area here, bicubic there).
        let root = try TestFixtures.sharedDatasets() + "/svhn"
        let crops = try SVHNPhotoCrops(folder: root + "/format1_subset", options: .init(augment: false))
        XCTAssertEqual(crops.images.count, 4434)
        XCTAssertTrue(crops.photoFiles.allSatisfy { $0.contains("/format1_subset/train/") })
        let reference = try NpyFile(path: root + "/cropped_subset/train_images.npy").images.pixels
        var squared = 0.0
        for (a, b) in zip(crops.images.pixels, reference) { squared += Double((Int(a) - Int(b)) * (Int(a) - Int(b))) }
        let mse = squared / Double(reference.count)
        let psnr = 10 * log10(255 * 255 / mse)
        print("recipe crops vs cropped_subset train: PSNR \(String(format: "%.2f", psnr)) dB")
        XCTAssertGreaterThan(psnr, 30)
    }

    func testAugmentedPhotoCropsForTheSeedRecipe() throws {
        let root = try TestFixtures.sharedDatasets() + "/svhn"
        var data: LoadedData!
        let argument = "\(root)/cropped_subset/train_32x32_subset.mat+svhn-photos:\(root)/format1_subset,count=15566"
        let time = try seconds { data = try DataSource.load(argument, limit: 20_000, seed: 1) }
        print("seed recipe (4,434 MAT + 15,566 photo crops) loaded in \(String(format: "%.2f", time)) s")
        print(data.description)
        XCTAssertEqual(data.images.count, 20_000)
        XCTAssertEqual(data.sources.map(\.imageCount), [4434, 15_566])
    }
}
