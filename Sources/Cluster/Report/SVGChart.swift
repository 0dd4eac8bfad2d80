import Foundation

/// A small SVG chart drawn by the project (no script, no network): axes with rounded ticks, and marks —
/// lines, steps, points (each a `circle` of class `point`, so a page's plots can be counted) and
/// rectangles (timeline lanes). Every text it writes is XML-escaped: architecture strings and worker ids
/// come from the journal, and worker ids from the network.
public struct SVGChart {
    public struct Point: Sendable {
        public var x: Double, y: Double
        public var color: String?
        public var title: String?
        public init(_ x: Double, _ y: Double, color: String? = nil, title: String? = nil) {
            (self.x, self.y, self.color, self.title) = (x, y, color, title)
        }
    }

    public enum Mark {
        case line([Point], color: String, label: String?)
        /// A staircase: each value holds until the next point's x.
        case step([Point], color: String, label: String?)
        /// A thin dashed line with no legend entry: where a curve rests on less (a mean over fewer runs).
        case dashed([Point], color: String)
        case points([Point], color: String, label: String?, radius: Double)
        /// Lane rectangles from x0 to x1 at lane index y (0 at the top), with a tooltip each.
        case lanes([(x0: Double, x1: Double, lane: Int, color: String, title: String)], names: [String])
        /// Vertical error bars: (x, low, high).
        case bars([(x: Double, low: Double, high: Double)], color: String)
        /// A shaded band from low to high along x (a mean's ± standard error), cut at the plot's edge.
        case band([(x: Double, low: Double, high: Double)], color: String)
        /// A dashed vertical line across the plot at x (a checkpoint), its label at the bottom; it does not
        /// widen the x range, and one outside it is not drawn.
        case rule(x: Double, color: String, label: String?)
    }

    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var width = 640.0, height = 360.0
    public var marks: [Mark] = []
    /// Fixed ranges (else from the marks, padded).
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    /// x on a log₁₀ scale, ticked at 1, 2, 5 × 10^k (only 10^k over many decades); x ≤ 0 is not drawn.
    public var xLog = false

    public init(id: String, title: String, xLabel: String, yLabel: String) {
        (self.id, self.title, self.xLabel, self.yLabel) = (id, title, xLabel, yLabel)
    }

    static let left = 64.0, right = 16.0, top = 34.0, bottom = 46.0

    /// The chart as one `<svg>` element.
    public func render() -> String {
        var xs = [Double](), ys = [Double]()
        var laneNames = [String]()
        for mark in marks {
            switch mark {
            case .line(let p, _, _), .step(let p, _, _), .points(let p, _, _, _), .dashed(let p, _):
                xs += p.map(\.x)
                ys += p.map(\.y)
            case .lanes(let rects, let names):
                xs += rects.flatMap { [$0.x0, $0.x1] }
                laneNames = names
            case .bars(let b, _), .band(let b, _):
                xs += b.map(\.x)
                ys += b.flatMap { [$0.low, $0.high] }
            case .rule:
                break
            }
        }
        let laneMode = !laneNames.isEmpty
        // The x range on the drawn scale (log₁₀ x with `xLog`).
        func scaled(_ x: Double) -> Double { xLog ? (x > 0 ? log10(x) : -.infinity) : x }
        let xr = xRange.map { scaled($0.lowerBound)...scaled($0.upperBound) }
            ?? Self.padded(xs.map(scaled).filter(\.isFinite))
        let yr = laneMode ? -0.5...(Double(laneNames.count) - 0.5) : (yRange ?? Self.padded(ys.filter(\.isFinite)))
        let plotW = width - Self.left - Self.right, plotH = height - Self.top - Self.bottom
        func px(_ x: Double) -> Double {
            Self.left + (scaled(x) - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * plotW
        }
        func py(_ y: Double) -> Double {
            laneMode ? Self.top + (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * plotH
                : Self.top + (yr.upperBound - y) / (yr.upperBound - yr.lowerBound) * plotH
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(Self.escape(id))\" class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(Self.left))\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        // Lines and bands are cut at the plot's edge (a fixed y range may leave part of them outside).
        let clip = Self.escape(id) + "-plot"
        s += "<defs><clipPath id=\"\(clip)\"><rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotW))\" "
            + "height=\"\(f(plotH))\"/></clipPath></defs>\n"
        // Grid and ticks.
        let xTicks = xLog ? Self.logTicks(pow(10, xr.lowerBound)...pow(10, xr.upperBound)) : Self.ticks(xr)
        for t in xTicks {
            let x = px(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + plotH))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(Self.top + plotH + 16))\" text-anchor=\"middle\" fill=\"#444\">"
                + "\(xLog ? Self.logLabel(t) : Self.label(t))</text>\n"
        }
        if laneMode {
            for (i, name) in laneNames.enumerated() {
                s += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(py(Double(i)) + 4))\" text-anchor=\"end\" fill=\"#444\">"
                    + "\(Self.escape(String(name.prefix(9))))</text>\n"
            }
        } else {
            for t in Self.ticks(yr) {
                let y = py(t)
                s += "<line x1=\"\(f(Self.left))\" y1=\"\(f(y))\" x2=\"\(f(Self.left + plotW))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
                s += "<text x=\"\(f(Self.left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\" fill=\"#444\">\(Self.label(t))</text>\n"
            }
        }
        s += "<rect x=\"\(f(Self.left))\" y=\"\(f(Self.top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        s += "<text x=\"\(f(Self.left + plotW / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        s += "<text transform=\"translate(14 \(f(Self.top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>\n"
        // Marks.
        func path(_ p: [Point], step: Bool) -> String {
            var path = ""
            for q in p where scaled(q.x).isFinite && q.y.isFinite {
                if path.isEmpty {
                    path += "M\(f(px(q.x))) \(f(py(q.y)))"
                } else {
                    if step { path += " H\(f(px(q.x)))" }
                    path += " L\(f(px(q.x))) \(f(py(q.y)))"
                }
            }
            if step, let last = p.last, last.y.isFinite { path += " H\(f(Self.left + plotW))" }
            return path
        }
        var legend = [(String, String)]()
        for mark in marks {
            switch mark {
            case .line(let p, let color, let label), .step(let p, let color, let label):
                var isStep = false
                if case .step = mark { isStep = true }
                s += "<path class=\"series\" d=\"\(path(p, step: isStep))\" fill=\"none\" stroke=\"\(color)\" "
                    + "stroke-width=\"2\" clip-path=\"url(#\(clip))\"/>\n"
                if let label { legend.append((label, color)) }
            case .dashed(let p, let color):
                s += "<path class=\"dashed\" d=\"\(path(p, step: false))\" fill=\"none\" stroke=\"\(color)\" "
                    + "stroke-width=\"1.2\" stroke-dasharray=\"3 2\" clip-path=\"url(#\(clip))\"/>\n"
            case .points(let p, let color, let label, let radius):
                for q in p where scaled(q.x).isFinite && q.y.isFinite {
                    // A value beyond a fixed range is drawn hollow at the edge (its tooltip keeps the value).
                    let y = min(max(q.y, yr.lowerBound), yr.upperBound), clipped = y != q.y
                    s += "<circle class=\"point\" cx=\"\(f(px(q.x)))\" cy=\"\(f(py(y)))\" r=\"\(f(radius))\" "
                        + (clipped ? "fill=\"none\" stroke=\"\(q.color ?? color)\" stroke-width=\"1.5\">"
                            : "fill=\"\(q.color ?? color)\" fill-opacity=\"0.8\" stroke=\"#333\" stroke-width=\"0.3\">")
                        + (q.title.map { "<title>\(Self.escape($0))</title>" } ?? "") + "</circle>\n"
                }
                if let label { legend.append((label, color)) }
            case .lanes(let rects, _):
                for r in rects {
                    let y = py(Double(r.lane)), x0 = px(r.x0), x1 = max(px(r.x1), x0 + 1)
                    s += "<rect class=\"attempt\" x=\"\(f(x0))\" y=\"\(f(y - plotH / Double(laneNames.count) * 0.35))\" width=\"\(f(x1 - x0))\" "
                        + "height=\"\(f(plotH / Double(laneNames.count) * 0.7))\" fill=\"\(r.color)\" stroke=\"white\" stroke-width=\"0.5\">"
                        + "<title>\(Self.escape(r.title))</title></rect>\n"
                }
            case .bars(let b, let color):
                for bar in b where scaled(bar.x).isFinite && bar.low.isFinite && bar.high.isFinite {
                    s += "<line x1=\"\(f(px(bar.x)))\" y1=\"\(f(py(bar.low)))\" x2=\"\(f(px(bar.x)))\" y2=\"\(f(py(bar.high)))\" "
                        + "stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
                }
            case .band(let b, let color):
                let shown = b.filter { scaled($0.x).isFinite && $0.low.isFinite && $0.high.isFinite }
                guard !shown.isEmpty else { break }
                let upper = shown.map { "\(f(px($0.x))) \(f(py($0.high)))" }
                let lower = shown.reversed().map { "\(f(px($0.x))) \(f(py($0.low)))" }
                s += "<path class=\"band\" d=\"M" + (upper + lower).joined(separator: " L") + " Z\" fill=\"\(color)\" "
                    + "fill-opacity=\"0.18\" stroke=\"none\" clip-path=\"url(#\(clip))\"/>\n"
            case .rule(let x, let color, let label):
                let t = scaled(x)
                guard t.isFinite, xr.contains(t) else { break }
                s += "<line class=\"rule\" x1=\"\(f(px(x)))\" y1=\"\(f(Self.top))\" x2=\"\(f(px(x)))\" "
                    + "y2=\"\(f(Self.top + plotH))\" stroke=\"\(color)\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>"
                if let label {
                    // Left of the line, at the bottom (the legend sits at the top right), on a white halo.
                    s += "<text x=\"\(f(px(x) - 3))\" y=\"\(f(Self.top + plotH - 5))\" text-anchor=\"end\" "
                        + "font-size=\"10\" fill=\"\(color)\" stroke=\"white\" stroke-width=\"3\" "
                        + "paint-order=\"stroke\">"
                        + "\(Self.escape(label))</text>"
                }
                s += "\n"
            }
        }
        let longest = Double(legend.map(\.0.count).max() ?? 0)
        let legendWidth = min(plotW * 0.6, 16 + 6.6 * longest)
        // Labels too long for the legend's width: smaller text (down to 9 px), then cut with "…" (the whole label
        // in its tooltip), so that none runs past the plot.
        let fontSize = longest > 0 ? max(9, min(12, 12 * (legendWidth - 16) / (6.6 * longest))) : 12
        let fits = max(4, Int((legendWidth - 16) / (6.6 * fontSize / 12)))
        if !legend.isEmpty {
            s += "<rect x=\"\(f(Self.left + plotW - legendWidth - 10))\" y=\"\(f(Self.top + 2))\" width=\"\(f(legendWidth + 8))\" "
                + "height=\"\(f(Double(legend.count) * 16 + 6))\" fill=\"white\" fill-opacity=\"0.85\"/>\n"
        }
        for (i, (label, color)) in legend.enumerated() {
            let y = Self.top + 14 + Double(i) * 16, x = Self.left + plotW - legendWidth - 6
            s += "<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"12\" height=\"10\" fill=\"\(color)\"/>"
            let size = fontSize < 12 ? " font-size=\"\(f(fontSize))\"" : ""
            s += label.count <= fits ? "<text x=\"\(f(x + 16))\" y=\"\(f(y))\"\(size)>\(Self.escape(label))</text>\n"
                : "<text x=\"\(f(x + 16))\" y=\"\(f(y))\"\(size)><title>\(Self.escape(label))</title>"
                    + "\(Self.escape(String(label.prefix(fits - 1))))…</text>\n"
        }
        return s + "</svg>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The data's range with 5 % on each side (a unit range around a single value, 0…1 when empty).
    static func padded(_ values: [Double]) -> ClosedRange<Double> {
        let values = values.filter(\.isFinite)
        guard let lo = values.min(), let hi = values.max() else { return 0...1 }
        if hi - lo < 1e-12 { return (lo - 0.5)...(hi + 0.5) }
        let pad = (hi - lo) * 0.05
        return (lo - pad)...(hi + pad)
    }

    /// A range for errors that a few failed cells (90 % error) would otherwise flatten: from the best to
    /// the 90th percentile plus half the spread below it, or the whole range when that is tighter.
    public static func focused(_ values: [Double]) -> ClosedRange<Double>? {
        let v = values.filter(\.isFinite).sorted()
        guard let lo = v.first, let hi = v.last, v.count >= 5 else { return nil }
        let q90 = v[Int(Double(v.count - 1) * 0.9)]
        let top = min(hi, q90 + (q90 - lo) * 0.5)
        guard top > lo else { return nil }
        let pad = (top - lo) * 0.05
        return (lo - pad)...(top + pad)
    }

    /// About six ticks at 1, 2 or 5 × 10^k inside the range.
    static func ticks(_ r: ClosedRange<Double>) -> [Double] {
        let span = r.upperBound - r.lowerBound
        guard span > 0, span.isFinite else { return [] }
        let raw = span / 6, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var t = ceil(r.lowerBound / step) * step
        var out = [Double]()
        while t <= r.upperBound + step * 1e-9 && out.count < 20 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }

    /// Ticks of a log axis over `r` (x > 0): 1, 2, 5 × 10^k within it, or 1…9 × 10^k when it spans less than a
    /// decade, or only 10^k (every other one beyond 8 decades) when it spans more than 3.
    static func logTicks(_ r: ClosedRange<Double>) -> [Double] {
        guard r.lowerBound > 0, r.upperBound > r.lowerBound, r.upperBound.isFinite else { return [] }
        let decades = log10(r.upperBound / r.lowerBound)
        let mantissas: [Double] = decades < 1 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : decades <= 3 ? [1, 2, 5] : [1]
        let every = decades > 8 ? 2 : 1
        var out = [Double]()
        let first = Int(floor(log10(r.lowerBound))), last = Int(ceil(log10(r.upperBound)))
        for k in first...last where (k - first) % every == 0 {
            for m in mantissas {
                let t = m * pow(10, Double(k))
                if t >= r.lowerBound * (1 - 1e-9) && t <= r.upperBound * (1 + 1e-9) { out.append(t) }
            }
        }
        return out
    }

    /// A log axis's tick: 3e5 from 10³ up (as the benchmark tables write GPU-seconds), else the plain number.
    public static func logLabel(_ v: Double) -> String {
        guard v >= 1e3 else { return label(v) }
        let exponent = Int(floor(log10(v) + 1e-9))
        let mantissa = v / pow(10, Double(exponent))
        let text = abs(mantissa - mantissa.rounded()) < 1e-6
            ? String(Int(mantissa.rounded())) : String(format: "%.1f", mantissa)
        return "\(text)e\(exponent)"
    }

    static func label(_ v: Double) -> String {
        if abs(v) >= 1000 { return String(format: "%.0f", v) }
        if v == v.rounded() { return String(format: "%.0f", v) }
        return String(format: abs(v) < 1 ? "%.2f" : "%.1f", v)
    }

    /// Text safe inside XML elements and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters are not allowed in XML 1.0 text.
                if c.value < 0x20 && c != "\n" && c != "\t" { out += "?" } else { out.unicodeScalars.append(c) }
            }
        }
        return out
    }

    /// A viridis-like colour for t in 0…1 (0: dark blue, 1: yellow).
    public static func color(_ t: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let x = min(1, max(0, t.isFinite ? t : 0)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(x)), u = x - Double(i)
        let (a, b) = (stops[i], stops[i + 1])
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * u).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}
