import Foundation

extension SVGChart {
    /// One curve of a rate-distortion chart.
    struct Curve {
        var label: String
        var color: String
        var dashed: Bool
        /// (x, y) points, drawn in order of x, each with a dot.
        var points: [(x: Double, y: Double)]
    }

    /// A chart of curves on linear axes (bits per pixel against PSNR), x from 0 to `xMax`
    /// (points beyond it are cut off at the plot's edge: a peer's grid reaches far higher
    /// rates than ours), y over the points within, a legend below.
    static func curveChart(_ curves: [Curve], title: String, xLabel: String, yLabel: String, xMax: Double,
                           width: Int = 720, height: Int = 420) -> String {
        let visible = curves.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && $0.x <= xMax }
        guard !visible.isEmpty, xMax > 0 else { return emptyChart(title: title, width: width, height: 80) }
        let left = 60.0, right = 20.0, top = 30.0
        let bottom = 50.0 + 18 * Double((curves.count + 1) / 2)
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        var yMin = visible.map(\.y).min()!, yMax = visible.map(\.y).max()!
        if yMax - yMin < 1 { yMin -= 0.5; yMax += 0.5 }
        let pad = 0.04 * (yMax - yMin)
        yMin -= pad; yMax += pad
        func px(_ x: Double) -> Double { left + x / xMax * plotW }
        func py(_ y: Double) -> Double { top + (yMax - y) / (yMax - yMin) * plotH }

        var s = header(width: width, height: height, title: title)
        for y in ticks(from: yMin, to: yMax, count: 8) {
            s += line(left, py(y), left + plotW, py(y), stroke: "#ddd")
            s += text(left - 6, py(y) + 4, number(y), anchor: "end", size: 11)
        }
        for x in ticks(from: 0, to: xMax, count: 10) {
            s += line(px(x), top, px(x), top + plotH, stroke: "#eee")
            s += text(px(x), top + plotH + 16, number(x), anchor: "middle", size: 11)
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        s += text(left + plotW / 2, top + plotH + 34, xLabel, anchor: "middle", size: 12)
        s += "<text x=\"14\" y=\"\(f(top + plotH / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        // Curves are clipped to the plot: a peer's highest qualities lie far to the right.
        s += "<clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\"/></clipPath>\n"
        s += "<g clip-path=\"url(#plot)\">\n"
        for curve in curves {
            let pts = curve.points.filter { $0.x.isFinite && $0.y.isFinite }.sorted { $0.x < $1.x }
            let dash = curve.dashed ? " stroke-dasharray=\"6 4\"" : ""
            if pts.count > 1 {
                let path = pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(curve.color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            for p in pts {
                s += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"\(curve.dashed ? 3 : 4)\" fill=\"\(curve.color)\"/>\n"
            }
        }
        s += "</g>\n"
        for (i, curve) in curves.enumerated() {
            let dash = curve.dashed ? " stroke-dasharray=\"6 4\"" : ""
            let lx = left + Double(i % 2) * plotW / 2, ly = top + plotH + 52 + 18 * Double(i / 2)
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 28))\" y2=\"\(f(ly - 4))\" stroke=\"\(curve.color)\" stroke-width=\"2\"\(dash)/>\n"
            s += text(lx + 34, ly, curve.label, anchor: "start", size: 12)
        }
        return s + "</svg>\n"
    }
}
