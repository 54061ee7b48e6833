import AEProcess
import AEBase
import AECodec
import AEData
import AEFormats
import AENet
import Foundation

/// What the report's experiments section shows: the latent probe's accuracies, each
/// model's interpolation strips, and each variational model's draws from its prior.
struct ReportExperiments {
    var probe: [LatentProbe.Figures] = []
    var probeTrainCount = 0
    var probeMajority = 0.0
    /// Per evaluation: its interpolation picture and the test images it goes between.
    var strips: [(file: String, pairs: [(Int, Int)], rows: [String])?] = []
    /// Per evaluation: its sample picture (variational models).
    var sampleFiles: [String?] = []
    var files: [(name: String, bytes: [UInt8])] = []
}

extension ReportJob {
    public static let probeFile = "probe.csv"

    func measureExperiments(bundles: [ModelBundle], evaluations: [BundleEvaluation], images: ImageSet,
                            output: TerminalOutput) throws -> ReportExperiments {
        var x = ReportExperiments()
        let models = try bundles.map { try $0.makeModel(threads: settings.threads) }
        let normalizations = bundles.map(\.metadata.normalization.pixelNormalization)

        if let probeTrain = settings.probeTrain {
            guard let testLabels = images.labels else {
                throw ToolError(path: settings.test, reason: "has no labels; the probe (--probe-train) needs labelled test images")
            }
            let train = try ProbeJob.labelled(probeTrain, limit: nil, threads: settings.threads)
            guard let trainLabels = train.labels, train.imageShape == images.imageShape else {
                throw ToolError(path: probeTrain, reason: "holds \(train.imageShape) images, the test data \(images.imageShape)")
            }
            var options = settings.probeOptions
            options.threads = settings.threads
            func probe(_ name: String, _ a: Tensor, _ b: Tensor) {
                output.status("probe: \(name)")
                x.probe.append(LatentProbe.measure(name: name, train: a, trainLabels: trainLabels, test: b, testLabels: testLabels,
                                                   classes: DigitLabels.classCount, options: options))
            }
            for (k, e) in evaluations.enumerated() {
                probe("\(e.name) latents", LatentProbe.latents(of: train, model: models[k], normalization: normalizations[k]),
                      Tensor(shape: [images.count, e.latentDim], data: e.latents))
            }
            probe("raw pixels", LatentProbe.pixels(of: train), LatentProbe.pixels(of: images))
            x.probeTrainCount = train.count
            x.probeMajority = LatentProbe.majorityAccuracy(trainLabels: trainLabels, testLabels: testLabels)
            var csv = "features,dimensions,softmax_accuracy,knn_accuracy,k,train_images,test_images\n"
            for f in x.probe {
                csv += "\(f.name),\(f.dimensions),\(String(format: "%.4f", f.softmaxAccuracy)),"
                    + "\(String(format: "%.4f", f.neighbourAccuracy)),\(f.neighbours),\(train.count),\(images.count)\n"
            }
            x.files.append((Self.probeFile, Array(csv.utf8)))
        }

        let ends = Self.spread(2 * settings.interpolationPairs, over: images.count)
        let pairs = stride(from: 0, to: ends.count - 1, by: 2).map { (ends[$0], ends[$0 + 1]) }
        for (k, model) in models.enumerated() {
            let tile = model.imageShape
            if !pairs.isEmpty && Array(tile.prefix(2)) == [images.height, images.width] {
                var rows: [[PNGImage]] = [], names: [String] = []
                for (a, b) in pairs {
                    for row in InterpolateJob.strip(model: model, normalization: normalizations[k], from: images.pngImage(at: a),
                                                    to: images.pngImage(at: b), steps: settings.interpolationSteps) {
                        rows.append(row.images)
                        names.append("\(a) to \(b), \(row.path)")
                    }
                }
                let name = "interpolation-\(k + 1).png"
                x.files.append((name, try ReportPictures.grid(rows: rows).encoded()))
                x.strips.append((name, pairs, names))
            } else {
                x.strips.append(nil)
            }
            if model.sampler != nil && settings.samples > 0 {
                let draws = SampleJob.draws(model: model, normalization: normalizations[k], count: settings.samples, seed: 0)
                let rows = stride(from: 0, to: draws.count, by: 8).map { Array(draws[$0 ..< min($0 + 8, draws.count)]) }
                let name = "samples-\(k + 1).png"
                x.files.append((name, try ReportPictures.grid(rows: rows).encoded()))
                x.sampleFiles.append(name)
            } else {
                x.sampleFiles.append(nil)
            }
        }
        return x
    }
}

extension ReportPage {
    /// Section 4: the latent probe, interpolation strips and samples.
    func experimentsSection() -> String {
        var h = "<h2>4. Latent features, interpolation and sampling</h2>\n"
        if !experiments.probe.isEmpty {
            let k = experiments.probe[0].neighbours
            h += "<h3>Latent features for digit classification</h3>\n"
            h += "<p class=\"note\">Each representation of \(experiments.probeTrainCount) labelled training images, standardised per feature, fits a softmax regression and a \(k)-nearest-neighbour vote (<code>aetrain probe</code>); the accuracies are on the \(testCount) test images. Always answering the most frequent training class scores \(String(format: "%.4f", experiments.probeMajority)).</p>\n"
            h += "<table><tr><th class=\"l\">features</th><th>dimensions</th><th>softmax regression</th><th>\(k)-NN</th></tr>\n"
            for f in experiments.probe {
                h += "<tr><td class=\"l\">\(SVGChart.escape(f.name))</td><td>\(f.dimensions)</td><td>\(String(format: "%.4f", f.softmaxAccuracy))</td><td>\(String(format: "%.4f", f.neighbourAccuracy))</td></tr>\n"
            }
            h += "</table>\n"
        }
        for (i, e) in evaluations.enumerated() {
            guard i < experiments.strips.count, let strip = experiments.strips[i] else { continue }
            h += "<h3>\(SVGChart.escape(e.name)): interpolation</h3>\n<p class=\"note\">Rows: "
                + strip.rows.map { "test image " + SVGChart.escape($0) }.joined(separator: "; ")
                + ". Each row: the first image, the decoded points from its latent to the second's (both ends included), the second image.</p>\n"
            h += "<img src=\"\(strip.file)\" alt=\"interpolation strips\">\n"
        }
        for (i, e) in evaluations.enumerated() {
            guard i < experiments.sampleFiles.count, let file = experiments.sampleFiles[i] else { continue }
            h += "<h3>\(SVGChart.escape(e.name)): draws from the prior</h3>\n"
            h += "<p class=\"note\">Variational model (beta \(e.metadata.training?.beta.map { String($0) } ?? "?")): latents drawn from N(0, I) (seed 0), decoded.</p>\n"
            h += "<img src=\"\(file)\" alt=\"samples from the prior\">\n"
            let epochs = e.metadata.metrics?.epochs ?? []
            let kl = epochs.compactMap { m in m.trainKL.map { (Double(m.epoch), $0) } }
            if !kl.isEmpty {
                let validation = epochs.compactMap { m in m.validationKL.map { (Double(m.epoch), $0) } }
                h += SVGChart.lineChart([.init(label: "training KL", color: Self.colors[0], dashed: true, points: kl),
                                         .init(label: "validation KL", color: Self.colors[1], dashed: false, points: validation)],
                                        title: "\(e.name): KL divergence from the prior per epoch", xLabel: "epoch", yLabel: "nats per image (log scale)")
            }
        }
        return h
    }
}
