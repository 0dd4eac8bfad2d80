import Foundation

/// The one-line progress of a running study, as a terminal's progress bar shows it (`anasod search`):
/// `[######······] 23/60 38% · 0.31/s · 1m58s left · best 18.612 · rec 18.700 · 2 workers · 2 running · 0 failed`
/// (`best`: the best seen; `rec`: the strategy's estimate for the cell it recommends).
public enum ProgressLine {
    /// The line for a status, at most `width − 1` characters (a wrapped line cannot be redrawn in place). On a
    /// narrow terminal the bar shrinks to 10, then the least telling parts go, in this order: the rate, "0
    /// failed", running, workers, failed, time left; done / budget, best and recommended always stay.
    public static func render(_ s: CoordinatorStatus, width: Int) -> String {
        let fraction = s.budget > 0 ? min(1, Double(s.successes) / Double(s.budget)) : 0
        let rate = s.elapsed > 0 ? Double(s.successes) / s.elapsed : 0
        let left = rate > 0 ? duration(Double(s.budget - s.successes) / rate) + " left" : "time left —"
        let best = s.best.map { String(format: "best %.3f", $0.value) } ?? "best —"
        let head = " \(s.successes)/\(s.budget) \(Int(fraction * 100))%"
        // Each part with the rank at which it goes when the line is too long (nil: never).
        var parts: [(text: String, drop: Int?)] = [
            (String(format: "%.2f/s", rate), 1), (left, 6), (best, nil),
        ]
        if let r = s.recommended { parts.append((String(format: "rec %.3f", r.estimate), nil)) }
        parts += [("\(s.workers) worker\(s.workers == 1 ? "" : "s")", 4), ("\(s.running) running", 3)]
        if s.stopped > 0 { parts.append(("\(s.stopped) stopped", 2)) }
        parts.append(("\(s.failed) failed", s.failed == 0 ? 2 : 5))
        var line = ""
        for rank in 0...6 {
            parts.removeAll { $0.drop.map { $0 <= rank && $0 > 0 } ?? false }
            let tail = head + parts.map { " · " + $0.text }.joined()
            let barWidth = max(10, min(30, width - tail.count - 3))
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            line = "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: barWidth - filled) + "]" + tail
            if line.count <= width - 1 { break }
        }
        return String(line.prefix(max(20, width - 1)))  // never wraps: a wrapped line cannot be redrawn in place
    }

    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "—" }
        let t = Int(seconds.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }
}
