import Foundation

/// The one-line progress of a running study, as a terminal's progress bar shows it (`anasod search`):
/// `[######······] 23/60 38% · 0.31/s · 1m58s left · best 18.612 · 2 workers · 2 running · 0 failed`.
public enum ProgressLine {
    /// The line for a status, at most `width − 1` characters (a wrapped line cannot be redrawn in place).
    public static func render(_ s: CoordinatorStatus, width: Int) -> String {
        let fraction = s.budget > 0 ? min(1, Double(s.successes) / Double(s.budget)) : 0
        let rate = s.elapsed > 0 ? Double(s.successes) / s.elapsed : 0
        let left = rate > 0 ? duration(Double(s.budget - s.successes) / rate) + " left" : "time left —"
        let best = s.best.map { String(format: "best %.3f", $0.value) } ?? "best —"
        let tail = " \(s.successes)/\(s.budget) \(Int(fraction * 100))% · \(String(format: "%.2f", rate))/s · \(left) · \(best) · "
            + "\(s.workers) worker\(s.workers == 1 ? "" : "s") · \(s.running) running · \(s.failed) failed"
        let barWidth = max(10, min(30, width - tail.count - 3))
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let line = "[" + String(repeating: "#", count: filled) + String(repeating: "·", count: barWidth - filled) + "]" + tail
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
