import ANASOD
import Foundation
import Journal

/// `anasod report`: one self-contained HTML page (styles inlined, plots as SVG drawn by `SVGChart`, no
/// script, nothing fetched) and the same plots as SVG files. It reads a journal, so it works on a finished
/// study and on one still running; with several journals, the best-error curves of all of them share two
/// plots (the paper's Figure 3 layout), the rest describes the first. A benchmark's curves (`BenchCurves`)
/// add their own plots under a heading of their own; given only those, the page is only those.
public struct ReportPage {
    /// The journals' studies (none when the page shows only a benchmark's curves).
    public let histories: [StudyHistory]
    /// The curves of `anasod bench --runs --csv` to plot, if any.
    public let benchCurves: BenchCurves?
    /// The first study's space: its operation names and slots per cell (nil when its configuration names
    /// no space this build knows).
    public let operations: [String]
    public let slotsPerCell: Int?
    public let strategies: [String]
    /// What the page could not read, said under its heading: a study's stored configuration that this
    /// build cannot read (its strategy is then shown as `?`, and the first one's operation names as numbers).
    public let problems: [String]
    /// The first study's strategy rebuilt from its journal as a resume rebuilds it (the GP view shows its
    /// surrogate), or why it could not be.
    let replayedStrategy: Result<ReplayedStrategy, any Error>
    /// The first study's Pareto front, for a study of several objectives.
    public let pareto: StudyPareto?

    public init(journals: [any Journal], benchCurves: BenchCurves? = nil) throws {
        precondition(!journals.isEmpty || benchCurves != nil, "a report needs a journal or a benchmark's curves")
        var histories = [StudyHistory](), strategies = [String]()
        var operations = [String](), slots: Int?, problems = [String]()
        var replayed: Result<ReplayedStrategy, any Error>?
        var pareto: StudyPareto?
        for (i, journal) in journals.enumerated() {
            guard let study = try journal.study() else { throw ClusterError(.resume, "journal \(i + 1) holds no study yet") }
            let replay = JournalReplay(try journal.records())
            histories.append(StudyHistory(study: study, replay: replay))
            if i == 0 {
                replayed = Result { try ReplayedStrategy(study: study, replay: replay) }
                pareto = StudyPareto(study: study, replay: replay)
            }
            var definition = [String: String]()
            do {
                definition = try StudyConfiguration.storedDefinition(study.configuration)
            } catch {
                problems.append("study '\(study.id)': \(error)")
            }
            strategies.append(definition["strategy"] ?? "?")
            // A space this build does not know leaves the operations unnamed (`op 0`, …).
            if i == 0, let space = definition["space"].flatMap({ try? StudySpace(stored: $0) })?.space {
                operations = space.operations
                slots = space.slotsPerCell
            }
        }
        self.problems = problems
        self.histories = histories
        self.strategies = strategies
        self.operations = operations
        self.slotsPerCell = slots
        self.benchCurves = benchCurves
        replayedStrategy = replayed ?? .failure(ClusterError(.resume, "no journal"))
        self.pareto = pareto
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                          "#bcbd22", "#7f7f7f", "#393b79", "#ad494a"]

    /// The plots, by file name (without `.svg`), in page order (`figures` without the plots left out).
    /// - Parameter includeGP: false leaves out the GP's view (its fit is the one slow part).
    public func charts(includeGP: Bool = true) -> [(name: String, caption: String, svg: String)] {
        figures(includeGP: includeGP).charts + (benchCurves.map(Self.benchCharts) ?? [])
    }

    /// The journals' plots, by file name (without `.svg`), in page order, and the plots left out with why, for
    /// the page to say (the GP's view when there are too few results for it or its fit failed); none without a
    /// journal. The benchmark's plots are `benchCharts`.
    /// - Parameter includeGP: false leaves out the GP's view without a reason (its fit is the one slow part;
    ///   the caller shows an earlier one).
    public func figures(includeGP: Bool = true)
        -> (charts: [(name: String, caption: String, svg: String)], omitted: [(name: String, reason: String)]) {
        guard let main = histories.first else { return ([], []) }
        var out = [(String, String, String)]()
        var omitted = [(name: String, reason: String)]()
        var byCount = SVGChart(id: "best-by-evaluations", title: "Best validation error", xLabel: "evaluations", yLabel: "best error (%)")
        var byTime = SVGChart(id: "best-by-time", title: "Best validation error over time", xLabel: "minutes since start",
                              yLabel: "best error (%)")
        for (i, h) in histories.enumerated() {
            let color = Self.palette[i % Self.palette.count], label = "\(h.study) (\(strategies[i]))"
            let best = h.bestSoFar
            byCount.marks.append(.step(best.enumerated().filter { $0.element.isFinite }.map { .init(Double($0.offset + 1), $0.element) },
                                       color: color, label: label))
            byTime.marks.append(.step(zip(h.results, best).filter { $1.isFinite }.map { .init($0.time / 60, $1) }, color: color, label: label))
        }
        out.append(("best-by-evaluations", "The best validation error after each evaluation"
                    + (histories.count > 1 ? ", one curve per journal." : "."), byCount.render()))
        out.append(("best-by-time", "The same against wall-clock time (workers in parallel).", byTime.render()))

        let errors = main.results.map(\.metrics.validationError)
        let shown = SVGChart.focused(errors) ?? SVGChart.padded(errors)
        let lo = shown.lowerBound, hi = shown.upperBound
        func shade(_ e: Double) -> String { SVGChart.color(hi > lo ? 1 - (min(e, hi) - lo) / (hi - lo) : 0.5) }
        func tip(_ r: StudyHistory.Result) -> String {
            "job \(r.job): \(String(format: "%.3f", r.metrics.validationError)) %"
                + (r.metrics.stoppedAtEpoch.map { " (stopped after epoch \($0))" } ?? "")
                + " — \(r.architecture) (worker \(r.worker))"
        }
        var scatter = SVGChart(id: "errors", title: "Every evaluation", xLabel: "evaluation", yLabel: "validation error (%)")
        scatter.yRange = SVGChart.focused(errors)
        scatter.marks.append(.points(main.results.enumerated().map { .init(Double($0.offset + 1), $0.element.metrics.validationError,
                                                                             color: $0.element.metrics.stoppedAtEpoch == nil
                                                                                 ? shade($0.element.metrics.validationError) : "#bbbbbb",
                                                                             title: tip($0.element)) },
                                     color: "#1f77b4", label: nil, radius: 3.5))
        out.append(("errors", "Each evaluation's validation error in arrival order (bright: better; hollow at the top: worse "
                    + "than the plotted range, the value in its tooltip"
                    + (main.stopped.isEmpty ? ")." : "; grey: stopped early, the error at the epoch it stopped)."), scatter.render()))
        if let pareto { out += Self.paretoCharts(pareto) }

        if let first = main.trained.first?.encoding.first, !first.isEmpty {
            let names = operations.count == first.count ? operations : (0..<first.count).map { "op \($0)" }
            var chart = SVGChart(id: "by-operation", title: "Error by operation share (\(main.trained[0].encoding.count > 1 ? "first cell type" : "cell"))",
                                 xLabel: "share of the cell's slots", yLabel: "validation error (%)")
            chart.yRange = SVGChart.focused(errors)
            for (j, name) in names.enumerated() {
                let color = Self.palette[j % Self.palette.count]
                chart.marks.append(.points(main.trained.map { .init($0.encoding[0][j] + Double(j - names.count / 2) * 0.004,
                                                                   $0.metrics.validationError, title: "\(name): " + tip($0)) },
                                           color: color, label: name, radius: 2.5))
            }
            out.append(("by-operation", "Every evaluation's error against the share of each operation in its encoding "
                        + "(points of one encoding line up at its shares; slightly offset per operation).", chart.render()))

            let points = main.trained.map { $0.encoding.flatMap { $0 } }
            let projection = SimplexProjection(points)
            var simplex = SVGChart(id: "simplex", title: "Where the search looked",
                                   xLabel: String(format: "principal axis 1 (%.0f %% of the variance)", projection.explained[0] * 100),
                                   yLabel: String(format: "axis 2 (%.0f %%)", projection.explained[1] * 100))
            simplex.marks.append(.points(main.trained.map { r in
                let p = projection.project(r.encoding.flatMap { $0 })
                return .init(p.x, p.y, color: shade(r.metrics.validationError), title: tip(r))
            }, color: "#1f77b4", label: nil, radius: 4))
            out.append(("simplex", "The evaluated encodings projected onto their first two principal axes (a linear map: "
                        + "neighbours stay neighbours), coloured by error (bright: better).", simplex.render()))
        }

        if includeGP {
            Self.gpChart(main, strategy: replayedStrategy, into: &out, omitted: &omitted)
        }

        let workers = main.workers
        if !workers.isEmpty {
            var timeline = SVGChart(id: "timeline", title: "Workers", xLabel: "minutes since start", yLabel: "")
            timeline.height = max(160, 60 + 26 * Double(workers.count))
            let lane = Dictionary(uniqueKeysWithValues: workers.enumerated().map { ($0.element, $0.offset) })
            let colors: [JournalReplay.AttemptState: String] = [.done: "#2ca02c", .failed: "#d62728", .running: "#ff7f0e", .lost: "#7f7f7f"]
            timeline.marks.append(.lanes(main.attempts.map { a in
                (a.start / 60, (a.end ?? main.lastTime) / 60, lane[a.worker]!, colors[a.outcome] ?? "#7f7f7f",
                 "job \(a.job) attempt \(a.attempt): \(a.outcome.rawValue)")
            }, names: workers))
            out.append(("timeline", "Each worker's jobs (green: done, red: failed, orange: running, grey: lost lease); gaps are idle time.",
                        timeline.render()))
        }

        if !main.curves.isEmpty {
            var curves = SVGChart(id: "curves", title: "Learning curves", xLabel: "epoch", yLabel: "validation error (%)")
            let top = Set(main.ranked.prefix(5).map(\.job))
            for (job, epochs) in main.curves.sorted(by: { $0.key < $1.key }) where !top.contains(job) {
                curves.marks.append(.line(epochs.compactMap { e in e.validationError.map { .init(Double(e.epoch), $0) } }, color: "#cccccc", label: nil))
            }
            for (i, job) in main.ranked.prefix(5).map(\.job).enumerated() {
                guard let epochs = main.curves[job] else { continue }
                curves.marks.append(.line(epochs.compactMap { e in e.validationError.map { .init(Double(e.epoch), $0) } },
                                          color: Self.palette[i % Self.palette.count], label: "job \(job)"))
            }
            // Early stopping's stopped cells: their curve ends with a mark where it was stopped.
            let stops = main.stopped.sorted { $0.key < $1.key }.compactMap { job, epoch -> SVGChart.Point? in
                guard let last = main.curves[job]?.last(where: { $0.epoch <= epoch }), let error = last.validationError else { return nil }
                return .init(Double(last.epoch), error, color: "#000000", title: "job \(job): stopped after epoch \(epoch) at "
                             + String(format: "%.2f %%", error))
            }
            if !stops.isEmpty { curves.marks.append(.points(stops, color: "#000000", label: "stopped early", radius: 3)) }
            out.append(("curves", "Validation error per epoch as the workers streamed it; the 5 best jobs in colour"
                        + (stops.isEmpty ? "." : "; a black mark ends each curve early stopping stopped."), curves.render()))
        }
        return (out, omitted)
    }

    /// The study strategy's own surrogate (`GPView`) appended to `out`, or why there is none to `omitted`.
    static func gpChart(_ main: StudyHistory, strategy replayed: Result<ReplayedStrategy, any Error>,
                        into out: inout [(String, String, String)], omitted: inout [(name: String, reason: String)]) {
        let view: GPView
        do {
            let study = try replayed.get()
            view = try GPView(history: main, strategy: study.strategy, space: study.space)
        } catch let error as GPView.Unavailable {
            omitted.append(("gp", "No GP view: \(error)."))
            return
        } catch {
            omitted.append(("gp", "No GP view: \(GPView.Unavailable.noStrategy("\(error)"))."))
            return
        }
        out.append(gpChart(view))
    }

    /// The plot of `view`: every row's mean and band by rank, and the mean observed error where there is one.
    static func gpChart(_ view: GPView) -> (String, String, String) {
        let s = view.surrogate
        let what = s.input == .encoding ? "encodings" : "cells"
        let among = view.wholeGrid ? "all \(view.rows.count) encodings of the grid" : "the \(view.rows.count) \(what) evaluated"
        var chart = SVGChart(id: "gp", title: "\(s.strategy)'s surrogate over \(among)", xLabel: "rank by posterior mean",
                             yLabel: "validation error (%)")
        let observed = view.rows.compactMap(\.observed)
        // The failed cells' 90 % and a band that widens far from the data would flatten the rest: bands are cut
        // at the plotted range, means and observations beyond it drawn hollow at its edge.
        let range = SVGChart.focused(view.rows.flatMap { [$0.mean, $0.lower] } + observed)
            ?? SVGChart.padded(view.rows.flatMap { [$0.mean, $0.lower, $0.upper] } + observed)
        chart.yRange = range
        func text(_ v: Double) -> String { String(format: "%.2f", v) }
        let ranked = view.rows.enumerated().map { (x: Double($0.offset + 1), row: $0.element) }
        let radius = view.rows.count > 60 ? 2.0 : 3.5
        chart.marks.append(.bars(ranked.map { e in
            (e.x, min(max(e.row.lower, range.lowerBound), range.upperBound), min(max(e.row.upper, range.lowerBound), range.upperBound))
        }, color: "#9ecae1"))
        chart.marks.append(.points(ranked.map { e in
            let r = e.row
            let title = "#\(Int(e.x)): mean \(text(r.mean)), band \(text(r.lower))–\(text(r.upper)) at "
                + (r.architecture ?? encodingText(r.encoding)) + (r.observed.map { "; observed \(text($0))" } ?? "")
            return .init(e.x, r.mean, title: title)
        }, color: "#1f77b4", label: "posterior mean, band μ ± 2σ", radius: radius))
        chart.marks.append(.points(ranked.compactMap { e in
            e.row.observed.map { .init(e.x, $0, title: "#\(Int(e.x)): observed mean \(text($0))") }
        }, color: "#d62728", label: "observed (mean)", radius: radius * 0.75))
        let caption = "The strategy's own surrogate, rebuilt from the journal as a resume rebuilds it: \(s.label). "
            + "Its posterior mean and the band μ ± 2σ at \(among), best first, mapped back to the error's scale"
            + (s.warping == .none ? "" : " through the warping (the mean is then the posterior median, and the band is "
                                     + "asymmetric where the warping is)")
            + "; bands are cut at the plot's edge; red: the mean error observed there."
        return ("gp", caption, chart.render())
    }

    static func encodingText(_ e: [Double]) -> String { "(" + e.map { String(format: "%.2f", $0) }.joined(separator: ", ") + ")" }

    /// The whole page.
    public func html(generated: Date = Date(), refreshSeconds: Int? = nil) -> String {
        let esc = SVGChart.escape
        var s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        if let refreshSeconds { s += "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">" }
        s += "<title>ANASOD report: \(esc(histories.first?.study ?? "benchmark curves"))</title>\n"
        s += "<style>\(Self.style)</style></head><body>\n"
        guard !histories.isEmpty else {
            let stamp = ISO8601DateFormatter().string(from: generated)
            s += "<h1>Benchmark curves</h1>\n<p class=\"summary\"><small>generated \(stamp)</small></p>\n"
            return s + (benchCurves.map(Self.benchHTML) ?? "") + "</body></html>\n"
        }
        s += summaryHTML(generated: generated)
        let figures = figures()
        for chart in figures.charts {
            s += "<figure>\(chart.svg)<figcaption>\(esc(chart.caption))</figcaption></figure>\n"
        }
        s += Self.omittedHTML(figures.omitted)
        s += topTableHTML()
        s += benchCurves.map(Self.benchHTML) ?? ""
        return s + "</body></html>\n"
    }

    /// The heading and counts.
    public func summaryHTML(generated: Date) -> String {
        guard let main = histories.first else { return "" }
        let esc = SVGChart.escape
        var s = "<h1>Study <span id=\"study\">\(esc(main.study))</span></h1>\n<p class=\"summary\">"
        s += "<b id=\"results-count\">\(main.results.count)</b> results · \(main.failed) failed · \(main.proposed) proposed · "
        s += "strategy \(esc(strategies[0])) · \(ProgressLine.duration(main.lastTime)) of search"
        if main.bestAndRecommended.best != nil || main.bestAndRecommended.recommended != nil {
            s += " · " + main.bestAndRecommended.html(withCells: true)
        }
        for problem in problems { s += "<br><span class=\"warn\">\(esc(problem))</span>" }
        let stamp = ISO8601DateFormatter().string(from: generated)
        s += "<br><small>generated \(stamp) from the journal; a study still running is shown as far as it has got</small></p>\n"
        return s
    }

    /// One line per plot left out, saying why (`id="omitted-<name>"`).
    public static func omittedHTML(_ omitted: [(name: String, reason: String)]) -> String {
        omitted.map { "<p class=\"warn\" id=\"omitted-\(SVGChart.escape($0.name))\">\(SVGChart.escape($0.reason))</p>\n" }.joined()
    }

    public func topTableHTML() -> String {
        guard let main = histories.first else { return "" }
        let esc = SVGChart.escape
        // What the trainers measured beside the error (latency, memory), where they did; results that break a limit on
        // it are left out.
        let measured = Metrics.measuredNames.filter { name in main.results.contains { $0.metrics.measured[name] != nil } }
        let headings = ["latency_ms": "latency ms", "memory_mb": "memory MB"]
        var s = "<h2>The 10 best cells</h2>\n"
        if !main.limits.isEmpty {
            let broken = main.violating.count
            s += "<p id=\"limits\">Limits measured in evaluation: \(esc(main.limits.constraints.map(\.description).joined(separator: ", "))). "
                + "\(broken) of \(main.trained.count) cells trained break them; they are left out of this table and are never the best.</p>\n"
        }
        s += "<table id=\"top\"><tr><th>#</th><th>job</th><th>val. error %</th><th>test error %</th>"
            + "<th>train s</th><th>params</th><th>FLOPs</th>" + measured.map { "<th>\(headings[$0] ?? $0)</th>" }.joined()
            + "<th>worker</th><th>architecture</th></tr>\n"
        for (i, r) in main.ranked.prefix(10).enumerated() {
            let m = r.metrics
            s += "<tr><td>\(i + 1)</td><td>\(r.job)</td><td>\(String(format: "%.3f", m.validationError))</td>"
                + "<td>\(m.testError.map { String(format: "%.3f", $0) } ?? "—")</td><td>\(String(format: "%.1f", m.trainSeconds))</td>"
                + "<td>\(m.parameters.map(String.init) ?? "—")</td><td>\(m.flops.map(String.init) ?? "—")</td>"
                + measured.map { name in "<td>\(m.measured[name].map { String(format: "%.3g", $0) } ?? "—")</td>" }.joined()
                + "<td>\(esc(r.worker))</td><td><code>\(esc(r.architecture))</code></td></tr>\n"
        }
        return s + "</table>\n"
    }

    public static let style = """
    body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1340px;color:#222}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}.summary{color:#444}
    figure{display:inline-block;margin:8px;vertical-align:top;width:640px}figcaption{font-size:12px;color:#555;margin-top:2px}
    table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}
    code{font-size:11px}.live{color:#2ca02c;font-weight:bold}.warn{color:#d62728}
    """

    /// Writes `report.html` and one SVG file per plot into `folder` (created if needed); returns the paths.
    @discardableResult
    public func write(to folder: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var written = [URL]()
        let page = folder.appendingPathComponent("report.html")
        try Data(html().utf8).write(to: page, options: .atomic)
        written.append(page)
        for chart in charts() {
            let url = folder.appendingPathComponent(chart.name + ".svg")
            try Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + chart.svg).utf8).write(to: url, options: .atomic)
            written.append(url)
        }
        return written
    }
}
