import Foundation

/// The plots of a benchmark's curves (`anasod report --bench-curves`, issue 26): the paper's Figure 3
/// (arXiv 2111.04670) — error against GPU-seconds on a log axis, its checkpoints 10⁵, 3·10⁵ and 10⁶ dashed —
/// for both metrics, the best error seen (the paper's) and the recommended cell's true error (the honest
/// one), and with W > 1 workers the same against simulated wall-clock time. One line per (strategy,
/// workers), the mean over seeds, and a band of ± 1 standard error.
extension ReportPage {
    /// Figure 3's GPU-second checkpoints (those of `NoisyRunsReport`'s tables).
    static let gpuCheckpoints: [Double] = [1e5, 3e5, 1e6]
    /// Points per curve, evenly spaced in log x.
    static let benchGridPoints = 160

    /// The plots of `curves`, by file name (without `.svg`), in page order.
    public static func benchCharts(_ curves: BenchCurves) -> [(name: String, caption: String, svg: String)] {
        let groups = curves.groups
        guard !groups.isEmpty else { return [] }
        let workerCounts = Set(groups.map(\.workers)).sorted()
        var axes: [BenchCurves.Axis] = [.gpuSeconds]
        if workerCounts.contains(where: { $0 > 1 }) { axes.append(.wallClock) }
        var out = [(name: String, caption: String, svg: String)]()
        for axis in axes {
            guard let range = curves.range(along: axis, of: groups) else { continue }
            let grid = BenchCurves.logGrid(range, count: benchGridPoints)
            let metrics: [BenchCurves.Metric] = [.bestSeen, .recommendedTrueError]
            let lines = metrics.map { metric in groups.map { curves.curve(of: metric, in: $0, along: axis, at: grid) } }
            let complete = groups.map { curves.everyRunCounts(in: $0, along: axis) }
            // Both metrics on one y range, so that the pair compares at a glance; set by the means over every
            // run (a mean over the one or two runs that have finished a first evaluation would flatten the rest)
            // on the right half of the log axis, where the strategies part (the first evaluations' errors, 5 %
            // above the optimum and more, would squash the differences of a tenth that the checkpoints show).
            let middle = (range.lowerBound * range.upperBound).squareRoot()
            let means = lines.flatMap {
                $0.enumerated().flatMap { g, line in
                    line.filter { $0.x >= middle && (complete[g]?.contains($0.x) ?? false) }.map(\.statistic.mean)
                }
            }
            let everyMean = lines.flatMap { $0.flatMap { $0.map(\.statistic.mean) } }
            let yRange =
                SVGChart.focused(means) ?? (means.isEmpty ? nil : SVGChart.padded(means))
                ?? SVGChart.focused(everyMean) ?? SVGChart.padded(everyMean)
            // The x axis starts where the first mean comes into that y range (nothing is drawn left of it).
            let entry = lines.flatMap { $0.compactMap { $0.first { $0.statistic.mean <= yRange.upperBound }?.x } }.min()
            let shown = entry.map { max(range.lowerBound, $0)...range.upperBound } ?? range
            let rules: [(x: Double, label: String)]
            switch axis {
            case .gpuSeconds:
                rules = gpuCheckpoints.map { ($0, SVGChart.logLabel($0)) }
            case .wallClock:
                // The wall-clock equivalents (checkpoint / W) when one W > 1 is plotted, as the tables print them.
                let parallel = workerCounts.filter { $0 > 1 }
                rules =
                    parallel.count == 1
                    ? gpuCheckpoints.map { ($0 / Double(parallel[0]), "\(SVGChart.logLabel($0))/\(parallel[0])") } : []
            }
            for (m, metric) in metrics.enumerated() {
                let (name, title, yLabel) = benchTitles(metric, axis)
                var chart = SVGChart(
                    id: name, title: title,
                    xLabel: axis == .gpuSeconds
                        ? "GPU-seconds (log scale)" : "simulated wall-clock seconds (log scale)",
                    yLabel: yLabel)
                chart.xLog = true
                chart.xRange = shown.lowerBound < shown.upperBound ? shown : range
                chart.yRange = yRange
                for rule in rules { chart.marks.append(.rule(x: rule.x, color: "#999999", label: rule.label)) }
                for (g, line) in lines[m].enumerated() {
                    let band = line.map { (x: $0.x, low: $0.statistic.low, high: $0.statistic.high) }
                    chart.marks.append(.band(band, color: palette[g % palette.count]))
                }
                for (g, group) in groups.enumerated() {
                    let seeds = curves.runs(in: group).count, color = palette[g % palette.count]
                    var label =
                        group.strategy + (workerCounts.count > 1 ? ", W=\(group.workers)" : "")
                        + " (\(seeds) seed\(seeds == 1 ? "" : "s")"
                    if let end = complete[g]?.upperBound, end < range.upperBound {
                        label += "; fewer after \(SVGChart.logLabel(end))"
                    } else if complete[g] == nil {
                        label += "; never all at once"
                    }
                    let points = lines[m][g].map { SVGChart.Point($0.x, $0.statistic.mean) }
                    chart.marks.append(.dashed(points, color: color))
                    chart.marks.append(
                        .line(points.filter { complete[g]?.contains($0.x) ?? false }, color: color, label: label + ")"))
                }
                out.append(
                    (name, benchCaption(curves, metric: metric, axis: axis, workerCounts: workerCounts), chart.render())
                )
            }
        }
        return out
    }

    /// The file name, title and y label of a metric's plot along an axis.
    static func benchTitles(_ metric: BenchCurves.Metric, _ axis: BenchCurves.Axis) -> (String, String, String) {
        let against = axis == .gpuSeconds ? "GPU-seconds" : "wall-clock time"
        let file = axis == .gpuSeconds ? "bench-gpu" : "bench-wall"
        switch metric {
        case .bestSeen:
            return ("\(file)-best-seen", "Best validation error seen against \(against)", "best error seen (%)")
        case .recommendedTrueError:
            return (
                "\(file)-recommended", "Recommended cell's true error against \(against)",
                "recommended cell's true error (%)"
            )
        }
    }

    static func benchCaption(
        _ curves: BenchCurves, metric: BenchCurves.Metric, axis: BenchCurves.Axis, workerCounts: [Int]
    ) -> String {
        var s =
            metric == .bestSeen
            ? "The best validation error seen so far (the paper's metric)"
            : "The true mean validation error of the cell the strategy recommends (the honest metric: what a user "
                + "would deploy)"
        switch axis {
        case .gpuSeconds:
            s += " against the GPU-seconds spent, on a log scale; grey verticals: the checkpoints of the paper's "
            s += "Figure 3. "
        case .wallClock:
            s += " against simulated wall-clock seconds with W asynchronous workers, on a log scale"
            let oneW = workerCounts.filter { $0 > 1 }.count == 1
            s += oneW ? "; grey verticals: Figure 3's checkpoints divided by W. " : ". "
        }
        s += "Mean over seeds (line: solid where every seed's run counts, dashed where fewer do) ± 1 standard error "
        s += "(band) of "
        s +=
            curves.groups.map { g in
                "\(g.strategy)\(workerCounts.count > 1 ? " (W=\(g.workers))" : ""): \(curves.runs(in: g).count)"
            }.joined(separator: ", ") + " seeds"
        s += workerCounts.count == 1 ? " (W=\(workerCounts[0])). " : ". "
        s += "A run counts at x from its first evaluation to its last, with the value of its last evaluation at or "
        s += "before x; near the left end, and after where a legend says \"fewer after\", fewer runs count. Lines and "
        s += "bands are cut at the plot's edge. From " + curves.files.joined(separator: ", ") + "."
        return s
    }

    /// The heading, a line of counts and the plots of `curves`.
    static func benchHTML(_ curves: BenchCurves) -> String {
        let esc = SVGChart.escape
        let charts = benchCharts(curves)
        let wall = charts.contains { $0.name.hasPrefix("bench-wall") }
        var s = "<h2 id=\"bench\">Benchmark: error against GPU-seconds\(wall ? " and wall-clock time" : "")</h2>\n"
        s +=
            "<p class=\"summary\">\(curves.runs.count) run\(curves.runs.count == 1 ? "" : "s"), \(curves.groups.count) "
            + "curve\(curves.groups.count == 1 ? "" : "s") (one per strategy and number of workers) from "
            + "\(esc(curves.files.joined(separator: ", ")))</p>\n"
        for chart in charts {
            s += "<figure>\(chart.svg)<figcaption>\(esc(chart.caption))</figcaption></figure>\n"
        }
        return s
    }
}
