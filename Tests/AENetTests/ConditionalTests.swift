import AENet
import XCTest

/// Conditional models: the label input against the numpy reference, a decoder that
/// depends on the label, gradients through the label columns, and training that needs
/// (and uses) every image's label.
final class ConditionalTests: XCTestCase {
    func testLabelConcatMatchesTheReference() throws {
        let ref = try ReferenceCase("label_concat")
        let layer = LabelConcat(name: "label_concat", features: ref.int("F"), classes: ref.int("classes"))
        layer.labels = ref["labels"].data.map { UInt8($0) }
        XCTAssertEqual(layer.forward(ref["input"]), ref["output"])
        XCTAssertEqual(layer.backward(ref["grad_output"]), ref["grad_input"])
    }

    /// A labelled copy of the synthetic images: label i % 10.
    private func labelled(_ count: Int, seed: UInt64) -> ImageSet {
        let images = syntheticImages(count, seed: seed)
        return images.withLabels((0 ..< count).map { UInt8($0 % 10) })
    }

    func testTheDecoderDependsOnTheLabel() {
        let model = ReferenceModel.build(latentDim: 3, seed: 4, variational: true, conditionClasses: 10)
        XCTAssertEqual(model.conditionClasses, 10)
        XCTAssertEqual(model.labelInputs.map(\.name), ["label_concat", "label_concat_1"])
        XCTAssertEqual(model.parameterCount,
                       ReferenceModel.build(latentDim: 3, variational: true).parameterCount + 10 * 6 + 10 * 2048)
        let z = Tensor(shape: [2, 3], data: [0.5, -1, 2, 0.5, -1, 2])
        model.setLabels([3, 3])
        let same = model.decode(z)
        XCTAssertEqual(same.slice(batch: 0 ..< 1), same.slice(batch: 1 ..< 2))
        model.setLabels([3, 7])
        let different = model.decode(z)
        XCTAssertEqual(different.slice(batch: 0 ..< 1), same.slice(batch: 0 ..< 1))
        XCTAssertNotEqual(different.slice(batch: 1 ..< 2), same.slice(batch: 1 ..< 2))
    }

    /// Central differences through the label columns of both Dense layers (linear hidden
    /// activations): only the rows of labels in the batch get gradient, and it is right.
    func testGradientsThroughTheLabelInputs() {
        let model = ReferenceModel.build(latentDim: 3, seed: 5, threads: 2, hiddenActivation: .linear,
                                         variational: true, conditionClasses: 10)
        let trainer = Trainer(model: model, loss: VariationalLoss(beta: 10))
        let x = syntheticImages(2, seed: 6).batch(0 ..< 2)
        model.setLabels([4, 9])
        _ = trainer.gradients(x, noiseSeed: 3)
        let encoderDense = model.encoder.layers.first { $0.name == "dense" } as! Dense
        let decoderDense = model.decoder.layers.first { $0.name == "dense_1" } as! Dense
        for (dense, inputs) in [(encoderDense, 2048), (decoderDense, 3)] {
            let units = dense.outputShape[0]
            let gradient = dense.kernel.grad
            for label in 0 ..< 10 {
                let row = (inputs + label) * units
                let used = gradient.data[row ..< row + units].contains { $0 != 0 }
                XCTAssertEqual(used, label == 4 || label == 9, "\(dense.name), label \(label)")
            }
            for label in [4, 9] {
                let i = (inputs + label) * units + 1
                let original = dense.kernel.value.data[i]
                let h: Float = 1e-2
                dense.kernel.value.data[i] = original + h
                let up = Double(trainer.gradients(x, noiseSeed: 3).loss)
                dense.kernel.value.data[i] = original - h
                let down = Double(trainer.gradients(x, noiseSeed: 3).loss)
                dense.kernel.value.data[i] = original
                let numeric = (up - down) / Double(2 * h), analytic = Double(gradient.data[i])
                XCTAssertEqual(analytic, numeric, accuracy: 0.05 * max(abs(numeric), 1e-4), "\(dense.name) label \(label)")
            }
        }
    }

    func testTrainingNeedsAndUsesTheLabels() throws {
        var options = TrainingOptions()
        options.epochs = 1
        options.batchSize = 8
        options.validationSplit = 0.25
        let model = ReferenceModel.build(latentDim: 2, seed: 1, conditionClasses: 10)
        XCTAssertThrowsError(try Trainer(model: model, options: options).fit(syntheticImages(16, seed: 1))) { error in
            XCTAssertEqual(error as? TrainingError, .missingLabels(classes: 10))
        }
        let data = labelled(16, seed: 1)
        let history = try Trainer(model: model, options: options).fit(data)
        XCTAssertEqual(history.count, 1)
        // The same run with other labels learns other weights.
        let other = ReferenceModel.build(latentDim: 2, seed: 1, conditionClasses: 10)
        _ = try Trainer(model: other, options: options).fit(data.withLabels((0 ..< 16).map { UInt8(($0 + 1) % 10) }))
        XCTAssertNotEqual(other.parameters[0].value, model.parameters[0].value)
    }
}
