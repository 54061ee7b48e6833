import AECodec
import AEFormats
import Foundation

/// Small self-contained SVG charts for the report: no scripts, no fonts to fetch,
/// so the page opens offline in any browser.
enum SVGChart {
    /// One line of a line chart.
    struct Series {
        var label: String
        var color: String
        var dashed: Bool
        /// (x, y) points; y must be positive on a logarithmic chart.
        var points: [(x: Double, y: Double)]
    }

    /// A line chart of `series` with a linear x axis and a logarithmic y axis
    /// (losses span decades), gridlines at "nice" values and a legend below.
    static func lineChart(_ series: [Series], title: String, xLabel: String, yLabel: String,
                          width: Int = 720, height: Int = 360) -> String {
        let all = series.flatMap(\.points).filter { $0.y > 0 && $0.y.isFinite }
        guard !all.isEmpty else { return emptyChart(title: title, width: width, height: 80) }
        let left = 70.0, right = 20.0, top = 30.0
        let legendRows = Double((series.count + 1) / 2)
        let bottom = 50.0 + 18 * legendRows
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        let xMin = all.map(\.x).min()!, xMax = max(all.map(\.x).max()!, xMin + 1)
        var yMin = log10(all.map(\.y).min()!), yMax = log10(all.map(\.y).max()!)
        if yMax - yMin < 0.2 { yMin -= 0.1; yMax += 0.1 }
        yMin -= 0.03 * (yMax - yMin); yMax += 0.03 * (yMax - yMin)
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { top + (yMax - log10(y)) / (yMax - yMin) * plotH }

        var s = header(width: width, height: height, title: title)
        // Horizontal gridlines at 1, 2 and 5 times powers of ten.
        for e in Int(floor(yMin))...Int(ceil(yMax)) {
            for m in [1.0, 2.0, 5.0] {
                let v = m * pow(10, Double(e))
                let l = log10(v)
                guard l >= yMin && l <= yMax else { continue }
                let y = py(v)
                s += line(left, y, left + plotW, y, stroke: "#ddd")
                s += text(left - 6, y + 4, number(v), anchor: "end", size: 11)
            }
        }
        for x in ticks(from: xMin, to: xMax, count: 10) {
            s += line(px(x), top, px(x), top + plotH, stroke: "#eee")
            s += text(px(x), top + plotH + 16, number(x), anchor: "middle", size: 11)
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        s += text(left + plotW / 2, top + plotH + 34, xLabel, anchor: "middle", size: 12)
        s += "<text x=\"14\" y=\"\(f(top + plotH / 2))\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 \(f(top + plotH / 2)))\">\(escape(yLabel))</text>\n"
        for (i, one) in series.enumerated() {
            let pts = one.points.filter { $0.y > 0 && $0.y.isFinite }
            guard !pts.isEmpty else { continue }
            let path = pts.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = one.dashed ? " stroke-dasharray=\"6 4\"" : ""
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(one.color)\" stroke-width=\"2\"\(dash)/>\n"
            if pts.count == 1 {
                s += "<circle cx=\"\(f(px(pts[0].x)))\" cy=\"\(f(py(pts[0].y)))\" r=\"4\" fill=\"\(one.color)\"/>\n"
            }
            // Legend: two columns under the plot.
            let lx = left + Double(i % 2) * plotW / 2, ly = top + plotH + 52 + 18 * Double(i / 2)
            s += "<line x1=\"\(f(lx))\" y1=\"\(f(ly - 4))\" x2=\"\(f(lx + 28))\" y2=\"\(f(ly - 4))\" stroke=\"\(one.color)\" stroke-width=\"2\"\(dash)/>\n"
            s += text(lx + 34, ly, one.label, anchor: "start", size: 12)
        }
        return s + "</svg>\n"
    }

    /// Per-dimension mean (dot), mean +- one standard deviation (bar) and range (thin line).
    static func dimensionSummary(_ stats: LatentStatistics, title: String, width: Int = 720, height: Int = 240) -> String {
        let n = stats.dimensions
        guard n > 0 else { return emptyChart(title: title, width: width, height: 80) }
        let left = 60.0, right = 10.0, top = 30.0, bottom = 36.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        var lo = stats.minimum.min() ?? 0, hi = stats.maximum.max() ?? 1
        if hi - lo < 1e-9 { lo -= 1; hi += 1 }
        func py(_ v: Double) -> Double { top + (hi - v) / (hi - lo) * plotH }
        let step = plotW / Double(n)
        var s = header(width: width, height: height, title: title)
        for v in ticks(from: lo, to: hi, count: 6) {
            s += line(left, py(v), left + plotW, py(v), stroke: v == 0 ? "#999" : "#e4e4e4")
            s += text(left - 6, py(v) + 4, number(v), anchor: "end", size: 11)
        }
        for d in 0..<n {
            let x = left + (Double(d) + 0.5) * step
            let m = stats.mean[d], sd = stats.standardDeviation[d]
            s += line(x, py(stats.minimum[d]), x, py(stats.maximum[d]), stroke: "#aaa")
            s += "<rect x=\"\(f(x - step * 0.3))\" y=\"\(f(py(m + sd)))\" width=\"\(f(step * 0.6))\" height=\"\(f(max(0.5, py(m - sd) - py(m + sd))))\" fill=\"#9ecae1\"/>\n"
            s += "<circle cx=\"\(f(x))\" cy=\"\(f(py(m)))\" r=\"\(f(min(3, step * 0.3)))\" fill=\"#08519c\"/>\n"
        }
        for d in stride(from: 0, to: n, by: max(1, n / 16)) {
            s += text(left + (Double(d) + 0.5) * step, top + plotH + 14, "\(d)", anchor: "middle", size: 10)
        }
        s += text(left + plotW / 2, top + plotH + 30, "latent dimension", anchor: "middle", size: 12)
        return s + "</svg>\n"
    }

    /// A small histogram: `counts` over equal bins from `lower` to `upper`.
    static func histogram(counts: [Int], lower: Double, upper: Double, title: String,
                          width: Int = 150, height: Int = 84) -> String {
        let top = 16.0, bottom = 14.0
        let plotW = Double(width) - 4, plotH = Double(height) - top - bottom
        let peak = max(1, counts.max() ?? 1)
        let bar = plotW / Double(max(1, counts.count))
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
        s += text(2, 11, title, anchor: "start", size: 10)
        for (i, c) in counts.enumerated() where c > 0 {
            let h = Double(c) / Double(peak) * plotH
            s += "<rect x=\"\(f(2 + Double(i) * bar))\" y=\"\(f(top + plotH - h))\" width=\"\(f(max(0.5, bar - 0.5)))\" height=\"\(f(h))\" fill=\"#4292c6\"/>\n"
        }
        s += line(2, top + plotH, 2 + plotW, top + plotH, stroke: "#888")
        s += text(2, Double(height) - 2, number(lower), anchor: "start", size: 9)
        s += text(2 + plotW, Double(height) - 2, number(upper), anchor: "end", size: 9)
        return s + "</svg>\n"
    }

    // MARK: - Pieces

    static func header(width: Int, height: Int, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\">\n"
            + text(Double(width) / 2, 18, title, anchor: "middle", size: 14)
    }

    static func emptyChart(title: String, width: Int, height: Int) -> String {
        header(width: width, height: height, title: title)
            + text(Double(width) / 2, 50, "(no data)", anchor: "middle", size: 12) + "</svg>\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>\n"
    }

    static func text(_ x: Double, _ y: Double, _ content: String, anchor: String, size: Int) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" font-size=\"\(size)\" text-anchor=\"\(anchor)\">\(escape(content))</text>\n"
    }

    /// About `count` round tick values between `a` and `b`.
    static func ticks(from a: Double, to b: Double, count: Int) -> [Double] {
        guard b > a, count > 0 else { return [a] }
        let raw = (b - a) / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var v = ceil(a / step) * step
        while v <= b + step * 1e-9 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return values
    }

    /// A compact label: 0.0025, 12, 3.5e-05.
    static func number(_ v: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1e-3 && abs(v) < 1e5 {
            return String(format: "%g", (v * 1e4).rounded() / 1e4)
        }
        return String(format: "%.1e", v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Text safe inside SVG/HTML elements and attributes.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
