import AEBase
import AECodec
import AEFormats
import Foundation

/// The photo report's `index.html`: one self-contained page (inline CSS and SVG, the crops'
/// PNG files beside it, nothing fetched) with our curves against JPEG's and WebP's, the
/// table at the same size, the peers' curves, zoomed crops and the per-photo figures.
struct PhotoReportPage {
    /// One photo's zoomed crops: the original, ours at one point of the first curve, and
    /// each peer at the quality whose file is nearest ours in size for that photo.
    struct CropRow {
        var photo: Int
        /// 1-based, for the crops' file names.
        var number: Int
        /// The point of the first curve shown.
        var point: Int
        /// Per peer, the quality index whose file is nearest ours, and the peer's raw name.
        var peerQualities: [Int]
        var peerNames: [String]

        init(photo: Int, number: Int, point: Int, evaluation: PhotoEvaluation) {
            self.photo = photo
            self.number = number
            self.point = point
            let m = evaluation.photos[photo]
            peerQualities = evaluation.peers.indices.map { m.nearestQuality(peer: $0, bytes: m.ours[0][point].bytes) }
            peerNames = evaluation.peers.map(\.rawValue)
        }

        /// The crops shown, with the name each file takes ("original", "ours", "jpeg", "webp").
        func pictures(_ crops: PhotoCrops) -> [(String, PNGImage)] {
            [("original", crops.original), ("ours", crops.ours[0][point])]
                + peerQualities.enumerated().map { k, q in (peerNames[k], crops.peers[k][q]) }
        }
    }

    var evaluation: PhotoEvaluation
    var photosDescription: String
    var cropRows: [CropRow]
    var cropPoint: Int
    var cropScale: Int
    var created: String

    /// Not among `ReportPage.colors`, which our curves take.
    static let peerColors = ["#7f7f7f", "#000000"]

    func html() -> String {
        let e = evaluation
        let sizes = Set(e.photos.map { "\($0.width)x\($0.height)" }).sorted()
        var h = ReportPage.head(title: "Photo codec report", style: """
            figure { display: inline-block; margin: 0 8px 12px 0; vertical-align: top; }
            figcaption { font-size: 13px; max-width: 260px; }
            """) + """
            <h1>Photo codec report</h1>
            <p class="note">Photos: \(esc(photosDescription)), \(e.photos.count) images (\(esc(sizes.joined(separator: ", ")))).
            Generated \(esc(created)) by <code>aetrain report --photos</code>.
            Ours: each photo encoded by the model as <code>aeenc</code> encodes it (the whole latent file, header included),
            decoded from those bytes as <code>aedec</code> decodes it. Peers: \(e.peers.map { "\($0.name) (\(esc($0.settings)))" }.joined(separator: "; ")),
            each at the qualities \(e.qualities.first.map { $0.map(String.init).joined(separator: ", ") } ?? "").
            PSNR over RGB of the 8-bit outputs (pixels scaled to [0, 1]) per photo; bits per pixel = 8 x bytes / pixels;
            every figure is a mean over the photos.</p>

            """
        h += chartSection()
        h += sameSizeSection()
        h += peerSection()
        h += cropSection()
        h += photoSection()
        return h + "</body></html>\n"
    }

    // MARK: Curves

    private func chartSection() -> String {
        let e = evaluation
        var curves: [SVGChart.Curve] = []
        for (c, curve) in e.curves.enumerated() {
            curves.append(.init(label: "ours: \(curve.name)", color: ReportPage.colors[c % ReportPage.colors.count], dashed: false,
                                points: curve.points.indices.map { p in let m = e.mean(curve: c, point: p); return (m.bitsPerPixel, m.psnr) }))
        }
        for (k, peer) in e.peers.enumerated() {
            curves.append(.init(label: peer.name, color: Self.peerColors[k % Self.peerColors.count], dashed: true,
                                points: e.qualities[k].indices.map { q in let m = e.mean(peer: k, quality: q); return (m.bitsPerPixel, m.psnr) }))
        }
        let oursMax = curves.prefix(e.curves.count).flatMap(\.points).map(\.x).max() ?? 1
        var h = "<h2>1. Rate and distortion</h2>\n"
        h += SVGChart.curveChart(curves, title: "PSNR against bits per pixel (means over \(e.photos.count) photos)",
                                 xLabel: "bits per pixel", yLabel: "PSNR (dB)", xMax: 1.5 * oursMax)
        return h + "<p class=\"note\">Each dot is one model or level of ours (solid lines) or one quality of a peer (dashed); the axis stops at 1.5 times our largest rate.</p>\n"
    }

    private func sameSizeSection() -> String {
        let e = evaluation
        var h = "<h2>2. At the same size</h2>\n"
        h += "<p class=\"note\">For each photo and each of our points, each peer at the quality whose file is nearest ours in size (ties: the smaller file); means over the photos. &Delta;: our PSNR minus the peer's (positive: ours is better).</p>\n"
        h += "<table><tr><th class=\"l\">curve</th><th class=\"l\">point</th><th>bytes</th><th>bpp</th><th>PSNR (dB)</th>"
        for p in e.peers { h += "<th>\(p.name) bpp</th><th>\(p.name) PSNR</th><th>&Delta; dB</th>" }
        h += "</tr>\n"
        for (c, curve) in e.curves.enumerated() {
            for (p, point) in curve.points.enumerated() {
                let m = e.mean(curve: c, point: p)
                h += "<tr><td class=\"l\">\(esc(curve.name))</td><td class=\"l\">\(esc(point.label))</td>"
                h += "<td>\(String(format: "%.0f", m.bytes))</td><td>\(bpp(m.bitsPerPixel))</td><td>\(db(m.psnr))</td>"
                for k in e.peers.indices {
                    let s = e.sameSize(peer: k, curve: c, point: p)
                    h += "<td>\(bpp(s.bitsPerPixel))</td><td>\(db(s.psnr))</td><td>\(String(format: "%+.2f", m.psnr - s.psnr))</td>"
                }
                h += "</tr>\n"
            }
        }
        h += "</table>\n<table><tr><th class=\"l\">curve</th><th class=\"l\">point</th><th class=\"l\">bundle</th><th class=\"l\">fingerprint</th></tr>\n"
        for curve in e.curves {
            for point in curve.points {
                h += "<tr><td class=\"l\">\(esc(curve.name))</td><td class=\"l\">\(esc(point.label))</td>"
                h += "<td class=\"l\">\(esc(point.source))</td><td class=\"l\"><code>\(ModelFingerprint.hex(of: point.bundle.tensors))</code></td></tr>\n"
            }
        }
        return h + "</table>\n"
    }

    private func peerSection() -> String {
        let e = evaluation
        var h = "<h3>The peers' curves</h3>\n<table><tr><th class=\"l\">codec</th><th>quality</th><th>bytes</th><th>bpp</th><th>PSNR (dB)</th></tr>\n"
        for (k, peer) in e.peers.enumerated() {
            for (q, quality) in e.qualities[k].enumerated() {
                let m = e.mean(peer: k, quality: q)
                h += "<tr><td class=\"l\">\(peer.name)</td><td>\(quality)</td><td>\(String(format: "%.0f", m.bytes))</td><td>\(bpp(m.bitsPerPixel))</td><td>\(db(m.psnr))</td></tr>\n"
            }
        }
        return h + "</table>\n"
    }

    // MARK: Crops

    private func cropSection() -> String {
        guard !cropRows.isEmpty, let first = evaluation.curves.first else { return "" }
        let e = evaluation
        var h = "<h2>3. Zoomed crops</h2>\n"
        h += "<p class=\"note\">Per photo the region with the most detail, drawn at \(cropScale)x (nearest neighbour): the original; ours at \(esc(first.title(cropPoint))); each peer at the quality whose file is nearest ours in size for that photo. Sizes and PSNR are the whole photo's.</p>\n"
        for row in cropRows {
            let m = e.photos[row.photo]
            guard let c = m.crops else { continue }
            h += "<h3>\(esc(m.name)): \(c.width)x\(c.height) at (\(c.x), \(c.y)) of \(m.width)x\(m.height)</h3>\n<div>\n"
            let ours = m.ours[0][row.point]
            var captions = [("original", "original"),
                            ("ours", "ours (\(first.title(row.point))): \(size(ours, m))")]
            for (k, q) in row.peerQualities.enumerated() {
                captions.append((e.peers[k].rawValue, "\(e.peers[k].name) quality \(e.qualities[k][q]): \(size(m.peers[k][q], m))"))
            }
            for (what, caption) in captions {
                h += "<figure><img src=\"\(PhotoReportJob.cropFile(row.number, what))\" width=\"\(c.width * cropScale)\" height=\"\(c.height * cropScale)\" alt=\"\(esc(caption))\"><figcaption>\(esc(caption))</figcaption></figure>\n"
            }
            h += "</div>\n"
        }
        return h
    }

    // MARK: Per photo

    private func photoSection() -> String {
        let e = evaluation
        var h = "<h2>4. Per photo</h2>\n<details><summary>Each photo at each of our points, and the peers at the same size</summary>\n"
        h += "<table><tr><th class=\"l\">photo</th><th class=\"l\">curve</th><th class=\"l\">point</th><th>bytes</th><th>bpp</th><th>PSNR</th>"
        for p in e.peers { h += "<th>\(p.name) q</th><th>bytes</th><th>PSNR</th>" }
        h += "</tr>\n"
        for m in e.photos {
            for (c, curve) in e.curves.enumerated() {
                for (p, point) in curve.points.enumerated() {
                    let o = m.ours[c][p]
                    h += "<tr><td class=\"l\">\(esc(m.name))</td><td class=\"l\">\(esc(curve.name))</td><td class=\"l\">\(esc(point.label))</td>"
                    h += "<td>\(o.bytes)</td><td>\(bpp(m.bitsPerPixel(o.bytes)))</td><td>\(db(o.psnr))</td>"
                    for k in e.peers.indices {
                        let q = m.nearestQuality(peer: k, bytes: o.bytes)
                        h += "<td>\(e.qualities[k][q])</td><td>\(m.peers[k][q].bytes)</td><td>\(db(m.peers[k][q].psnr))</td>"
                    }
                    h += "</tr>\n"
                }
            }
        }
        return h + "</table></details>\n"
    }

    // MARK: Formatting

    private func size(_ p: PhotoPoint, _ m: PhotoMeasurement) -> String {
        "\(NumberText.grouped(p.bytes)) bytes, \(bpp(m.bitsPerPixel(p.bytes))) bpp, \(db(p.psnr)) dB"
    }
    private func esc(_ s: String) -> String { SVGChart.escape(s) }
    private func db(_ v: Double) -> String { String(format: "%.2f", v) }
    private func bpp(_ v: Double) -> String { String(format: "%.4f", v) }
}
