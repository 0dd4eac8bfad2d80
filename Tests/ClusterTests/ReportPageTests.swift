import ANASOD
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Cluster
import Journal
import Testing

/// `anasod report`'s pieces: the history read from a journal, the page and its plots (point counts, the
/// escaping of what peers sent), the projection and the GP view against hand computations.
@Suite struct ReportPageTests {
    /// What a coordinator stores: the effective search definition as JSON.
    static func configuration(strategy: String = "anasod-bo") -> String {
        #"{"source": "", "effective": {"space": "nb201", "strategy": "\#(strategy)"}}"#
    }

    /// A journal of `n` results on two workers (one hostile id), a retried failure and streamed epochs.
    static func journal(results n: Int, created: Double = 1_000, strategy: String = "anasod-bo") throws -> InMemoryJournal {
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "study-<b>", configuration: configuration(strategy: strategy), created: created))
        for i in 0..<n {
            let job = UInt64(i + 1)
            let counts = [(i % 3), 1, 1 + (i % 2), 6 - 2 - (i % 3) - (i % 2), 0].map(Double.init)
            let encoding = [counts.map { $0 / 6 }]
            let arch = cell(counts.map { Int($0) })
            let worker = i % 2 == 0 ? "w-0" : "<script>alert(1)</script>"
            let t = created + Double(i) * 10
            var records: [JournalRecord] = [
                .proposed(call: i, jobs: [.init(job: job, architecture: arch, encoding: encoding)]),
                .dispatched(job: job, attempt: 1, worker: worker, time: t),
            ]
            if i == 2 {
                records += [.failure(job: job, attempt: 1, worker: worker, reason: "oom", class: .resource, final: false, time: t + 2),
                            .dispatched(job: job, attempt: 2, worker: worker, time: t + 3)]
            }
            let attempt = i == 2 ? 2 : 1
            records += [.progress(job: job, attempt: attempt, progress: EpochProgress(epoch: 1, trainLoss: 1.0, validationError: 50, seconds: 1)),
                        .progress(job: job, attempt: attempt, progress: EpochProgress(epoch: 2, trainLoss: 0.5, validationError: 20 + Double(i),
                                                                                      seconds: 2)),
                        .result(job: job, attempt: attempt, worker: worker,
                                metrics: .init(validationError: 10 + Double((i * 7) % 11), trainSeconds: 5), time: t + 8)]
            try journal.append(records)
        }
        return journal
    }

    /// The NB201 cell with `counts[k]` edges of operation k, filled in edge order (a cell of that encoding).
    static func cell(_ counts: [Int]) -> String {
        let names = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
        let ops = counts.enumerated().flatMap { Array(repeating: names[$0.offset], count: $0.element) }
        return "|\(ops[0])~0|+|\(ops[1])~0|\(ops[2])~1|+|\(ops[3])~0|\(ops[4])~1|\(ops[5])~2|"
    }

    @Test func theHistoryFollowsTheJournal() throws {
        let history = try StudyHistory(journal: try Self.journal(results: 12))
        #expect(history.results.count == 12)
        #expect(history.attempts.count == 13)
        #expect(history.attempts.filter { $0.outcome == .failed }.count == 1)
        #expect(history.results[0].time == 8 && history.lastTime == 118)
        #expect(history.curves[3]?.map(\.epoch) == [1, 2])  // the accepted attempt's epochs
        let best = history.bestSoFar
        #expect(best.count == 12 && zip(best, best.dropFirst()).allSatisfy { $1 <= $0 })
        #expect(best.last == history.results.map(\.metrics.validationError).min())
        #expect(history.workers == ["<script>alert(1)</script>", "w-0"])
    }

    @Test func thePagePlotsEveryResultAndEscapesWhatPeersSent() throws {
        let page = try ReportPage(journals: [try Self.journal(results: 12), try Self.journal(results: 5)])
        let html = page.html()
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("study-&lt;b&gt;"))
        #expect(!html.contains(" src=") && !html.contains("<link"))  // nothing fetched: everything inline
        let charts = Dictionary(uniqueKeysWithValues: page.charts().map { ($0.name, $0.svg) })
        #expect(Set(charts.keys).isSuperset(of: ["best-by-evaluations", "best-by-time", "errors", "by-operation", "simplex", "gp",
                                                  "timeline", "curves"]))
        func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }
        #expect(count("class=\"point\"", in: charts["errors"]!) == 12)
        #expect(count("class=\"point\"", in: charts["simplex"]!) == 12)
        #expect(count("class=\"attempt\"", in: charts["timeline"]!) == 13)
        #expect(count("class=\"series\"", in: charts["best-by-evaluations"]!) == 2)  // one curve per journal
        #expect(html.contains("<table id=\"top\">") && count("<tr><td>", in: html) == 10)
    }

    @Test func theReportIsWrittenAsHTMLAndSVGFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try ReportPage(journals: [try Self.journal(results: 6)]).write(to: folder)
        #expect(files.first?.lastPathComponent == "report.html")
        for file in files.dropFirst() {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(file.pathExtension == "svg" && text.hasPrefix("<?xml") && text.contains("<svg"))
            // Well-formed XML: what a browser or an editor opens as a picture.
            #expect(XMLParser(data: Data(text.utf8)).parse(), "\(file.lastPathComponent) is not well-formed XML")
        }
    }

    /// Points on a line: one axis explains everything, and projected distances are the true ones.
    @Test func theProjectionFindsTheAxisOfALine() {
        let direction = [0.6, -0.8, 0, 0]
        let points = (0..<7).map { t in direction.map { 0.25 + $0 * Double(t) / 20 } }
        let p = SimplexProjection(points)
        #expect(abs(p.explained[0] - 1) < 1e-9 && p.explained[1] < 1e-9)
        let a = p.project(points[1]), b = p.project(points[5])
        #expect(abs(abs(a.x - b.x) - 4.0 / 20) < 1e-9)
        #expect(SimplexProjection(points).axes == p.axes)  // deterministic
    }

    /// The grid of NB201 encodings: every composition of 6 slots into 5 operations (C(10, 4) = 210).
    @Test func theGridHasEveryEncoding() {
        let grid = GPView.compositions(total: 6, parts: 5)
        #expect(grid.count == 210 && Set(grid).count == 210 && grid.allSatisfy { $0.reduce(0, +) == 6 })
    }

    /// The study's strategy (anasod-bo) rebuilt from the journal ranks the whole grid by its posterior mean.
    @Test func theGPViewRanksTheGridByItsMean() throws {
        let page = try ReportPage(journals: [try Self.journal(results: 12)])
        let study = try page.replayedStrategy.get()
        #expect(study.strategy.name == "anasod-bo")
        let view = try GPView(history: page.histories[0], strategy: study.strategy, space: study.space)
        #expect(view.rows.count == 210 && view.candidates == 210 && view.wholeGrid)
        #expect(zip(view.rows, view.rows.dropFirst()).allSatisfy { $0.mean <= $1.mean })
        #expect(view.rows.allSatisfy { $0.lower <= $0.mean && $0.mean <= $0.upper && $0.encoding.count == 5 })
        #expect(view.rows.filter { $0.observed != nil }.count == 6)  // the 6 encodings evaluated
        #expect(try GPView(history: page.histories[0], strategy: study.strategy, space: study.space, top: 20).rows.count == 20)
    }

    /// Before the strategy has a GP (its initial design): the page says why its plot is missing instead of
    /// leaving it out.
    @Test func thePageSaysWhyTheGPPlotIsMissing() throws {
        let page = try ReportPage(journals: [try Self.journal(results: 2)])
        let figures = page.figures()
        #expect(!figures.charts.contains { $0.name == "gp" })
        #expect(figures.omitted.map(\.name) == ["gp"])
        let html = page.html()
        #expect(html.contains("<p class=\"warn\" id=\"omitted-gp\">No GP view: anasod-bo is still in its initial design (2 "
                              + "result(s); its GP starts after 6, at two encodings or more) and has fitted no surrogate yet.</p>"),
                "\(html)")
        // Enough results: the plot, and no such line.
        let full = try ReportPage(journals: [try Self.journal(results: 12)])
        #expect(full.figures().omitted.isEmpty && !full.html().contains("omitted-gp"))
        // Left out on purpose (the dashboard between refits): no reason to give.
        #expect(full.figures(includeGP: false).omitted.isEmpty)
    }

    @Test func ticksAreRoundAndInside() {
        #expect(SVGChart.ticks(0...10) == [0, 2, 4, 6, 8, 10])
        #expect(SVGChart.ticks(5.3...5.9).allSatisfy { (5.3...5.9).contains($0) })
        #expect(SVGChart.escape("a<b>&\"c'\u{1}") == "a&lt;b&gt;&amp;&quot;c&#39;?")
    }
}
