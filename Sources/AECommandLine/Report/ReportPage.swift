import AEBase
import AECodec
import AEFormats
import AENet
import Foundation

/// The report's `index.html`: one self-contained page (inline CSS and SVG, pictures
/// from the same folder, nothing fetched from the network) with the seed's three
/// experiments: reconstruction quality, the latent space, the effect of latent size.
struct ReportPage {
    var evaluations: [BundleEvaluation]
    /// One line describing the test set.
    var testDescription: String
    var testCount: Int
    var sampleIndices: [Int]
    /// Latent-picture file per evaluation, and the images shown in it.
    var latentPictureFiles: [String]
    var latentPictureCount: Int
    var gridFile: String
    /// Grid rows after the originals: (evaluation index, encoding).
    var gridRows: [(Int, LatentFile.LatentEncoding)]
    /// The picture of corrupted inputs and outputs, with `--noise`.
    var denoisingFile: String? = nil
    var experiments = ReportExperiments()
    var created: String
    var histogramBins = 24

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// A report page's opening up to `<body>`: the title and the style sheet both reports
    /// share, with `style` (rules of the page's own) before its last two rules.
    static func head(title: String, style: String) -> String {
        """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(title)</title>
            <style>
            body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0 1em; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; font-size: 14px; }
            th { background: #f2f2f2; } td.l, th.l { text-align: left; }
            img { image-rendering: pixelated; border: 1px solid #ddd; }
            \(style)
            .note { color: #555; font-size: 14px; }
            code { background: #f4f4f4; padding: 0 3px; }
            </style></head><body>

            """
    }

    func html() -> String {
        var h = Self.head(title: "Autoencoder codec report", style: ".hist { display: flex; flex-wrap: wrap; gap: 2px; }") + """
            <h1>Autoencoder codec report</h1>
            <p class="note">Test set: \(esc(testDescription)), \(testCount) images.
            Generated \(esc(created)) by <code>aetrain report</code>.
            Errors are mean squared errors on pixels scaled to [0, 1]; PSNR = 10 log10(1 / MSE).</p>

            """
        h += reconstructionSection()
        h += latentSection()
        h += latentSizeSection()
        h += experimentsSection()
        return h + "</body></html>\n"
    }

    // MARK: 1. Reconstruction quality

    private func reconstructionSection() -> String {
        var h = "<h2>1. Reconstruction quality</h2>\n"
        h += "<p class=\"note\"><i>Network</i>: float32 latents and float reconstructions, the figure the published results (MSE 0.003178 at latent 64, 0.005792 at latent 16) and <code>aetrain --test</code> report. <i>Codec</i>: each image encoded to a latent file by the codec, decoded to an 8-bit PNG and compared with the original, as <code>aeenc</code>/<code>aedec</code> would.</p>\n"
        h += "<table><tr><th class=\"l\">model</th><th>latent</th><th>network MSE</th><th>network PSNR (dB)</th><th>float16 file MSE</th><th>PSNR (dB)</th><th>8-bit file MSE</th><th>PSNR (dB)</th></tr>\n"
        for e in evaluations {
            let f16 = e.codec.first { $0.encoding == .float16 }, u8 = e.codec.first { $0.encoding == .uint8 }
            h += "<tr><td class=\"l\">\(esc(e.name))</td><td>\(e.latentDim)</td><td>\(mse(e.networkMSE))</td><td>\(db(e.networkPSNR))</td>"
            h += "<td>\(f16.map { mse($0.mse) } ?? "-")</td><td>\(f16.map { db($0.psnr) } ?? "-")</td>"
            h += "<td>\(u8.map { mse($0.mse) } ?? "-")</td><td>\(u8.map { db($0.psnr) } ?? "-")</td></tr>\n"
        }
        h += "</table>\n"
        var rows = ["originals"]
        for (k, encoding) in gridRows {
            rows.append("\(evaluations[k].name), \(encoding == .uint8 ? "8-bit" : "float16") latent file")
        }
        h += "<p>Test images \(sampleIndices.map(String.init).joined(separator: ", ")), drawn at twice their size. Rows, top to bottom: "
            + rows.map(esc).joined(separator: "; ") + ".</p>\n"
        h += "<img src=\"\(gridFile)\" alt=\"originals above their reconstructions\">\n"
        return h + denoisingSection()
    }

    /// Noisy inputs in, clean images expected out: every model on the same corrupted test images.
    private func denoisingSection() -> String {
        guard let file = denoisingFile, let noise = evaluations.first?.denoising?.noise else { return "" }
        var h = "<h3>Denoising: inputs corrupted by <code>\(esc(noise.description))</code></h3>\n"
        h += "<p class=\"note\">Every test image corrupted once (the same draw for every model), fed to the network, and its output compared with the clean image. A model trained with <code>aetrain --noise</code> records its training noise below.</p>\n"
        h += "<table><tr><th class=\"l\">model</th><th class=\"l\">trained with noise</th><th>clean inputs: MSE</th><th>PSNR (dB)</th><th>noisy inputs: MSE</th><th>PSNR (dB)</th></tr>\n"
        for e in evaluations {
            guard let d = e.denoising else { continue }
            h += "<tr><td class=\"l\">\(esc(e.name))</td><td class=\"l\">\(esc(e.metadata.training?.inputNoise ?? "none"))</td>"
            h += "<td>\(mse(e.networkMSE))</td><td>\(db(e.networkPSNR))</td><td>\(mse(d.mse))</td><td>\(db(d.psnr))</td></tr>\n"
        }
        h += "</table>\n<p>Rows, top to bottom: the corrupted inputs; "
            + evaluations.map { esc($0.name) + "'s outputs" }.joined(separator: "; ") + "; the clean originals.</p>\n"
        return h + "<img src=\"\(file)\" alt=\"noisy inputs, the models' outputs, clean originals\">\n"
    }

    // MARK: 2. The latent space

    private func latentSection() -> String {
        var h = "<h2>2. The latent space</h2>\n"
        h += "<p class=\"note\">Per dimension, over the \(testCount) test images: mean (dot), mean &plusmn; one standard deviation (bar) and range (line). The picture shows the latent vectors of \(latentPictureCount) test images, one row each beside its image, every value standardised by its dimension's mean and standard deviation (blue below the mean, red above, saturating at 3 standard deviations).</p>\n"
        for (k, e) in evaluations.enumerated() {
            let s = e.statistics
            h += "<h3>\(esc(e.name)) (latent \(e.latentDim))</h3>\n"
            h += SVGChart.dimensionSummary(s, title: "\(e.name): latent mean, standard deviation and range per dimension")
            let spread = s.standardDeviation.sorted()
            let dead = s.standardDeviation.filter { $0 < 1e-6 }.count
            h += "<p class=\"note\">Standard deviations from \(num(spread.first ?? 0)) to \(num(spread.last ?? 0)) (median \(num(spread.isEmpty ? 0 : spread[spread.count / 2]))); \(dead) dimension(s) never vary.</p>\n"
            h += "<img src=\"\(latentPictureFiles[k])\" alt=\"latent vectors of test images\"><br>\n"
            h += "<p>Histograms of each dimension (\(histogramBins) bins from its minimum to its maximum):</p>\n<div class=\"hist\">\n"
            for d in 0..<s.dimensions {
                let counts = LatentStatistics.histogram(of: e.latents, dimensions: s.dimensions, dimension: d,
                                                        bins: histogramBins, lower: s.minimum[d], upper: s.maximum[d])
                h += SVGChart.histogram(counts: counts, lower: s.minimum[d], upper: s.maximum[d], title: "dim \(d)")
            }
            h += "</div>\n<details><summary>Table of per-dimension statistics</summary>\n"
            h += "<table><tr><th>dim</th><th>mean</th><th>std</th><th>min</th><th>max</th></tr>\n"
            for d in 0..<s.dimensions {
                h += "<tr><td>\(d)</td><td>\(num(s.mean[d]))</td><td>\(num(s.standardDeviation[d]))</td><td>\(num(s.minimum[d]))</td><td>\(num(s.maximum[d]))</td></tr>\n"
            }
            h += "</table></details>\n"
        }
        return h
    }

    // MARK: 3. The effect of latent size

    private func latentSizeSection() -> String {
        var h = "<h2>3. The effect of latent size</h2>\n"
        h += "<p class=\"note\">Numbers ratio: values in the image over values in the latent vector. File bytes and bits per pixel: mean over the test images of the whole latent file (header, checksum and zlib included). Compression ratio: raw 24-bit RGB bytes over file bytes.</p>\n"
        h += "<table><tr><th class=\"l\">model</th><th>latent</th><th>parameters</th><th>numbers ratio</th><th>latents</th><th>file bytes</th><th>bits per pixel</th><th>compression ratio</th><th>MSE</th><th>PSNR (dB)</th></tr>\n"
        for e in evaluations.sorted(by: { $0.latentDim > $1.latentDim }) {
            for c in e.codec {
                let raw = Double(e.imageValues)
                h += "<tr><td class=\"l\">\(esc(e.name))</td><td>\(e.latentDim)</td><td>\(NumberText.grouped(e.parameterCount))</td>"
                h += "<td>\(String(format: "%.0fx", raw / Double(e.latentDim)))</td><td>\(c.encoding == .uint8 ? "8-bit" : "float16")</td>"
                h += "<td>\(String(format: "%.1f", c.meanBytes))</td><td>\(String(format: "%.3f", c.bitsPerPixel))</td>"
                h += "<td>\(String(format: "%.1fx", raw / c.meanBytes))</td><td>\(mse(c.mse))</td><td>\(db(c.psnr))</td></tr>\n"
            }
        }
        h += "</table>\n"
        var series: [SVGChart.Series] = []
        for (k, e) in evaluations.enumerated() {
            let epochs = e.metadata.metrics?.epochs ?? []
            let color = Self.colors[k % Self.colors.count]
            series.append(.init(label: "\(e.name): training loss", color: color, dashed: true,
                                points: epochs.map { (Double($0.epoch), $0.trainLoss) }))
            let validation = epochs.compactMap { m in m.validationLoss.map { (Double(m.epoch), $0) } }
            if !validation.isEmpty {
                series.append(.init(label: "\(e.name): validation MSE", color: color, dashed: false, points: validation))
            }
        }
        h += SVGChart.lineChart(series, title: "Training curves (from the bundles' metadata)", xLabel: "epoch", yLabel: "MSE (log scale)")
        h += "<h3>How each model was trained</h3>\n<table><tr><th class=\"l\">model</th><th class=\"l\">fingerprint</th><th class=\"l\">training data</th><th>epochs</th><th>batch</th><th>learning rate</th><th>recorded test MSE</th></tr>\n"
        for e in evaluations {
            let t = e.metadata.training
            var rate = t.map { String(format: "%g", Double($0.optimizer.learningRate)) } ?? "-"
            if let final = t?.optimizer.finalLearningRate { rate += String(format: " &rarr; %g (cosine)", Double(final)) }
            // The full description (every source with its options) folds away under a short summary.
            let data = t?.dataSource.map { d in
                var counts = "\(NumberText.grouped(d.sampleCount)) images"
                if let train = d.trainCount, let validation = d.validationCount {
                    counts += " (\(NumberText.grouped(train)) training, \(NumberText.grouped(validation)) validation)"
                }
                return "<details><summary>\(esc(d.kind)), \(counts)</summary>\(esc(d.description))</details>"
            } ?? "not recorded"
            h += "<tr><td class=\"l\">\(esc(e.name))</td><td class=\"l\"><code>\(e.fingerprint)</code></td><td class=\"l\">\(data)</td>"
            h += "<td>\(t.map { String($0.epochs) } ?? "-")</td><td>\(t.map { String($0.batchSize) } ?? "-")</td><td>\(rate)</td>"
            h += "<td>\(e.metadata.metrics?.testMSE.map(mse) ?? "-")</td></tr>\n"
        }
        return h + "</table>\n"
    }

    // MARK: Formatting

    private func esc(_ s: String) -> String { SVGChart.escape(s) }
    private func mse(_ v: Double) -> String { String(format: "%.6f", v) }
    private func db(_ v: Double) -> String { String(format: "%.2f", v) }
    private func num(_ v: Double) -> String { String(format: "%.4g", v) }
}
