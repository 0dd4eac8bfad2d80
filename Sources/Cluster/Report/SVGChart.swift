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
        case points([Point], color: String, label: String?, radius: Double)
        /// Lane rectangles from x0 to x1 at lane index y (0 at the top), with a tooltip each.
        case lanes([(x0: Double, x1: Double, lane: Int, color: String, title: String)], names: [String])
        /// Vertical error bars: (x, low, high).
        case bars([(x: Double, low: Double, high: Double)], color: String)
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
            case .line(let p, _, _), .step(let p, _, _), .points(let p, _, _, _):
                xs += p.map(\.x)
                ys += p.map(\.y)
            case .lanes(let rects, let names):
                xs += rects.flatMap { [$0.x0, $0.x1] }
                laneNames = names
            case .bars(let b, _):
                xs += b.map(\.x)
                ys += b.flatMap { [$0.low, $0.high] }
            }
        }
        let laneMode = !laneNames.isEmpty
        let xr = xRange ?? Self.padded(xs.filter(\.isFinite))
        let yr = laneMode ? -0.5...(Double(laneNames.count) - 0.5) : (yRange ?? Self.padded(ys.filter(\.isFinite)))
        let plotW = width - Self.left - Self.right, plotH = height - Self.top - Self.bottom
        func px(_ x: Double) -> Double { Self.left + (x - xr.lowerBound) / (xr.upperBound - xr.lowerBound) * plotW }
        func py(_ y: Double) -> Double {
            laneMode ? Self.top + (y - yr.lowerBound) / (yr.upperBound - yr.lowerBound) * plotH
                : Self.top + (yr.upperBound - y) / (yr.upperBound - yr.lowerBound) * plotH
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(Self.escape(id))\" class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
            + "width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
        s += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"white\"/>\n"
        s += "<text x=\"\(f(Self.left))\" y=\"20\" font-size=\"14\" font-weight=\"bold\">\(Self.escape(title))</text>\n"
        // Grid and ticks.
        for t in Self.ticks(xr) {
            let x = px(t)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(Self.top))\" x2=\"\(f(x))\" y2=\"\(f(Self.top + plotH))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(Self.top + plotH + 16))\" text-anchor=\"middle\" fill=\"#444\">\(Self.label(t))</text>\n"
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
        var legend = [(String, String)]()
        for mark in marks {
            switch mark {
            case .line(let p, let color, let label), .step(let p, let color, let label):
                var path = ""
                var isStep = false
                if case .step = mark { isStep = true }
                for (i, q) in p.enumerated() where q.x.isFinite && q.y.isFinite {
                    if i == 0 || path.isEmpty {
                        path += "M\(f(px(q.x))) \(f(py(q.y)))"
                    } else {
                        if isStep { path += " H\(f(px(q.x)))" }
                        path += " L\(f(px(q.x))) \(f(py(q.y)))"
                    }
                }
                if isStep, let last = p.last, last.y.isFinite { path += " H\(f(px(xr.upperBound)))" }
                s += "<path class=\"series\" d=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
                if let label { legend.append((label, color)) }
            case .points(let p, let color, let label, let radius):
                for q in p where q.x.isFinite && q.y.isFinite {
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
                for bar in b where bar.low.isFinite && bar.high.isFinite {
                    s += "<line x1=\"\(f(px(bar.x)))\" y1=\"\(f(py(bar.low)))\" x2=\"\(f(px(bar.x)))\" y2=\"\(f(py(bar.high)))\" "
                        + "stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
                }
            }
        }
        let legendWidth = min(plotW * 0.6, 16 + 6.6 * Double(legend.map(\.0.count).max() ?? 0))
        if !legend.isEmpty {
            s += "<rect x=\"\(f(Self.left + plotW - legendWidth - 10))\" y=\"\(f(Self.top + 2))\" width=\"\(f(legendWidth + 8))\" "
                + "height=\"\(f(Double(legend.count) * 16 + 6))\" fill=\"white\" fill-opacity=\"0.85\"/>\n"
        }
        for (i, (label, color)) in legend.enumerated() {
            let y = Self.top + 14 + Double(i) * 16, x = Self.left + plotW - legendWidth - 6
            s += "<rect x=\"\(f(x))\" y=\"\(f(y - 9))\" width=\"12\" height=\"10\" fill=\"\(color)\"/>"
            s += "<text x=\"\(f(x + 16))\" y=\"\(f(y))\">\(Self.escape(label))</text>\n"
        }
        return s + "</svg>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The data's range with 5 % on each side (a unit range around a single value, 0…1 when empty).
    static func padded(_ values: [Double]) -> ClosedRange<Double> {
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
