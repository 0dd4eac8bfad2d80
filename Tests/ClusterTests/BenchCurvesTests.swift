import Foundation
import Testing

@testable import Cluster

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `anasod report --bench-curves`: the CSV of `anasod bench --runs --csv` read back (RFC 4180 quoting, errors
/// that name the file, line and column), the mean over seeds of step functions against hand computations, and
/// the page's plots.
@Suite struct BenchCurvesTests {
    static let header = "strategy,seed,workers,evaluation,time,gpu_seconds,best_seen,recommended_true_error"

    /// Two runs of `rs` on one worker (GPU-seconds = time) and one of a strategy whose name holds a comma, on 2.
    ///
    ///     rs seed 0: gpu 10 → best 5 (recommended 6), 20 → 4 (5), 40 → 3 (3)
    ///     rs seed 1: gpu 15 → 7 (8),                  30 → 2 (4), 50 → 1 (1)
    static let csv =
        header + "\r\n" + """
            rs,0,1,1,10,10,5,6
            rs,1,1,1,15,15,7,8
            rs,0,1,2,20,20,4,5
            "anasod-bo[cost=carbo,budget=3]",0,2,1,5,10,9,9

            rs,1,1,2,30,30,2,4
            rs,0,1,3,40,40,3,3
            "anasod-bo[cost=carbo,budget=3]",0,2,2,30,60,8,9.5
            rs,1,1,3,50,50,1,1
            "anasod-bo[cost=carbo,budget=3]",0,2,3,40,80,6.5,7

            """

    static func curves(_ text: String = csv, file: String = "curves.csv") throws -> BenchCurves {
        try BenchCurves(files: [(file, text)])
    }

    @Test func theCSVIsReadIntoRunsWithQuotedStrategies() throws {
        let curves = try Self.curves()
        #expect(curves.files == ["curves.csv"])
        #expect(curves.runs.map(\.strategy) == ["rs", "rs", "anasod-bo[cost=carbo,budget=3]"])
        #expect(curves.runs.map(\.seed) == [0, 1, 0] && curves.runs.map(\.workers) == [1, 1, 2])
        #expect(curves.runs[1].points.map(\.gpuSeconds) == [15, 30, 50])
        #expect(
            curves.runs[2].points[1]
                == .init(evaluation: 2, time: 30, gpuSeconds: 60, bestSeen: 8, recommendedTrueError: 9.5))
        #expect(
            curves.groups == [
                .init(strategy: "rs", workers: 1), .init(strategy: "anasod-bo[cost=carbo,budget=3]", workers: 2),
            ])
    }

    @Test func theReaderFollowsRFC4180() throws {
        let text = "\u{FEFF}a,b\r\n\"x, \"\"y\"\"\nz\",\"\"\n\n3,\n\"q\",4"
        let records = try CSVReader.records(text)
        #expect(
            records == [
                .init(line: 1, fields: ["a", "b"]), .init(line: 2, fields: ["x, \"y\"\nz", ""]),
                .init(line: 5, fields: ["3", ""]), .init(line: 6, fields: ["q", "4"]),
            ])
    }

    /// Each run holds its last value at or before x, from its first evaluation to its last.
    @Test func theMeanAtXIsTheMeanOfTheRunsStepFunctions() throws {
        let curves = try Self.curves()
        let rs = BenchCurves.Group(strategy: "rs", workers: 1)
        func at(_ x: Double, _ metric: BenchCurves.Metric = .bestSeen) -> BenchCurves.Statistic? {
            curves.statistic(of: metric, in: rs, at: x, along: .gpuSeconds)
        }
        #expect(at(9) == nil)  // before any evaluation
        #expect(at(12) == .init(mean: 5, standardError: 0, runs: 1))  // seed 1 has not finished one yet
        // Seeds 0 and 1 hold 4 and 7: mean 5.5, SD √4.5, SE √4.5 / √2 = 1.5.
        let mid = try #require(at(25))
        #expect(mid.runs == 2 && abs(mid.mean - 5.5) < 1e-12 && abs(mid.standardError - 1.5) < 1e-12)
        let recommended = try #require(at(25, .recommendedTrueError))  // 5 and 8
        #expect(abs(recommended.mean - 6.5) < 1e-12 && abs(recommended.standardError - 1.5) < 1e-12)
        // At a point's own x, that point counts: 4 and 2, SE √2 / √2 = 1.
        let exact = try #require(at(30))
        #expect(abs(exact.mean - 3) < 1e-12 && abs(exact.standardError - 1) < 1e-12)
        #expect(at(45) == .init(mean: 2, standardError: 0, runs: 1))  // seed 0 ended at 40
        #expect(at(50) == .init(mean: 1, standardError: 0, runs: 1) && at(51) == nil)
        #expect(curves.everyRunCounts(in: rs, along: .gpuSeconds) == 15...40)
        // Along wall-clock time (2 workers: 5, 30, 40 s), and the axis from the first evaluation to the largest
        // end that all of a group's runs reached.
        let bo = curves.groups[1]
        #expect(
            curves.statistic(of: .bestSeen, in: bo, at: 35, along: .wallClock)
                == .init(mean: 8, standardError: 0, runs: 1))
        #expect(curves.range(along: .gpuSeconds, of: curves.groups) == 10...80)
        #expect(curves.range(along: .wallClock, of: curves.groups) == 5...40)
        let grid = BenchCurves.logGrid(10...1000, count: 3)
        #expect(grid[0] == 10 && abs(grid[1] - 100) < 1e-9 && grid[2] == 1000)
        #expect(curves.curve(of: .bestSeen, in: rs, along: .gpuSeconds, at: [5, 12, 25, 60]).map(\.x) == [12, 25])
    }

    /// Bad input: one line naming the file, the line and the column.
    @Test func badInputIsAnErrorNamingTheLine() throws {
        func message(_ text: String, file: String = "bad.csv") -> String {
            do {
                _ = try Self.curves(text, file: file)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let row = "rs,0,1,1,10,10,5,6"
        #expect(
            message("")
                == "bad.csv is empty: expected the header \(Self.header) (what anasod bench --runs --csv writes)")
        #expect(
            message("strategy,seed,evaluations,best_error\nrs,0,1,9\n")
                == "bad.csv line 1: expected the header \(Self.header) (what anasod bench --runs --csv writes), "
                + "found strategy,seed,evaluations,best_error")
        #expect(message(Self.header + "\n") == "bad.csv has the header but no rows: no run finished an evaluation")
        #expect(
            message(Self.header + "\n\(row)\nrs,0,1,2,20,2O,4,5\n")
                == "bad.csv line 3, column 6 (gpu_seconds): '2O' is not a number in 0…1e12")
        // Hostile magnitudes: a mean over runs would overflow to infinity (and the chart's range to NaN).
        #expect(
            message(Self.header + "\n\(row)\nrs,1,1,1,10,10,1e308,5\n")
                == "bad.csv line 3, column 7 (best_seen): '1e308' is not a number in 0…100")
        #expect(
            message(Self.header + "\n\(row)\nrs,0,1,2,20,nan,4,5\n").hasPrefix(
                "bad.csv line 3, column 6 (gpu_seconds):"))
        #expect(
            message(Self.header + "\nrs,0,0,1,10,10,5,6\n")
                == "bad.csv line 2, column 3 (workers): '0' is not a whole number ≥ 1")
        #expect(message(Self.header + "\nrs,-1,1,1,10,10,5,6\n").hasPrefix("bad.csv line 2, column 2 (seed):"))
        #expect(
            message(Self.header + "\nanasod-bo[cost=carbo,budget=3],0,1,1,10,10,5,6\n")
                == "bad.csv line 2: 9 field(s), expected 8 (\(Self.header)); "
                + "a strategy with a comma is written in double quotes"
        )
        #expect(
            message(Self.header + "\n\(row)\n\"rs,0,1,2,20,20,4,5\n")
                == "bad.csv line 3, column 1: the quote opened here is never closed")
        #expect(
            message(Self.header + "\n\"rs\"x,0,1,1,10,10,5,6\n").hasPrefix(
                "bad.csv line 2, column 1: text after the closing quote"))
        #expect(
            message(Self.header + "\nr\"s,0,1,1,10,10,5,6\n").hasPrefix(
                "bad.csv line 2, column 1: a quote inside an unquoted field"))
        #expect(
            message(Self.header + "\n\(row)\nrs,0,1,3,20,20,4,5\n")
                == "bad.csv line 3, column 4 (evaluation): run (rs, seed 0, 1 worker): evaluation 3 after 1 "
                + "(rows of a run count 1, 2, … in order)"
        )
        #expect(
            message(Self.header + "\nrs,0,1,2,10,10,5,6\n")
                == "bad.csv line 2, column 4 (evaluation): run (rs, seed 0, 1 worker) starts at evaluation 2, not 1")
        #expect(
            message(Self.header + "\n\(row)\nrs,0,1,2,20,9,4,5\n").hasPrefix(
                "bad.csv line 3, column 6 (gpu_seconds): run (rs, seed 0, 1 worker): 9.0 is less"))
        #expect(message(Self.header + "\n\(row)\nrs,0,1,2,9,20,4,5\n").hasPrefix("bad.csv line 3, column 5 (time):"))
        // One run in two files.
        do {
            _ = try BenchCurves(files: [
                ("a.csv", Self.header + "\n\(row)\n"), ("b.csv", Self.header + "\nrs,0,1,2,20,20,4,5\n"),
            ])
            Issue.record("no error")
        } catch {
            #expect(
                "\(error)"
                    == "b.csv line 2, column 1 (strategy): run (rs, seed 0, 1 worker) is also in a.csv "
                    + "(one file per run)"
            )
        }
        #expect(throws: ClusterError.self) { try BenchCurves(paths: ["/nonexistent/curves.csv"]) }
    }

    /// Only curves: a page of their plots (the paper's metric and the honest one, against GPU-seconds and, with a
    /// group on 2 workers, wall-clock time), each a well-formed SVG file.
    @Test func thePageShowsTheCurvesWithoutAJournal() throws {
        let page = try ReportPage(journals: [], benchCurves: try Self.curves())
        let html = page.html()
        #expect(html.contains("<h2 id=\"bench\">Benchmark: error against GPU-seconds and wall-clock time</h2>"))
        #expect(html.contains(">Best validation error seen against GPU-seconds</text>"))
        #expect(html.contains(">Recommended cell&#39;s true error against GPU-seconds</text>"))
        #expect(html.contains(">Best validation error seen against wall-clock time</text>"))
        #expect(html.contains("anasod-bo[cost=carbo,budget=3], W=2 (1 seed)"))
        #expect(html.contains("rs, W=1 (2 seeds; fewer after 40)"))  // the axis goes on to 80 for the other group
        #expect(
            html.contains("rs (W=1): 2, anasod-bo[cost=carbo,budget=3] (W=2): 1 seeds")
                && html.contains("From curves.csv."))
        let charts = page.charts()
        #expect(
            charts.map(\.name) == [
                "bench-gpu-best-seen", "bench-gpu-recommended", "bench-wall-best-seen", "bench-wall-recommended",
            ])
        let gpu = charts[0].svg
        func count(_ needle: String) -> Int { gpu.components(separatedBy: needle).count - 1 }
        #expect(count("class=\"series\"") == 2 && count("class=\"band\"") == 2 && count("class=\"dashed\"") == 2)
        #expect(count("class=\"rule\"") == 0)  // 1e5 … 1e6 lie beyond 80 GPU-seconds

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = try page.write(to: folder)
        #expect(files.map(\.lastPathComponent) == ["report.html"] + charts.map { $0.name + ".svg" })
        for file in files.dropFirst() {
            #expect(
                XMLParser(data: try Data(contentsOf: file)).parse(), "\(file.lastPathComponent) is not well-formed XML")
        }
    }

    /// With a journal, its page is unchanged and the curves follow it; the checkpoints in range are drawn.
    @Test func theCurvesFollowAJournalsReport() throws {
        let long =
            Self.header + "\n"
            + [(1, 2e4, 9.0), (2, 1.5e5, 8.0), (3, 4e5, 7.0)].map { e, gpu, best in
                "re,0,1,\(e),\(gpu),\(gpu),\(best),\(best)"
            }.joined(separator: "\n")
        let page = try ReportPage(
            journals: [try ReportPageTests.journal(results: 6)], benchCurves: try Self.curves(long))
        let html = page.html()
        #expect(html.contains("<table id=\"top\">") && html.contains("id=\"best-by-evaluations\""))
        #expect(html.range(of: "<table id=\"top\">")!.lowerBound < html.range(of: "<h2 id=\"bench\">")!.lowerBound)
        #expect(!html.contains("wall-clock time</h2>"))  // one worker: GPU-seconds only
        let gpu = try #require(page.charts().first { $0.name == "bench-gpu-best-seen" }).svg
        #expect(gpu.components(separatedBy: "class=\"rule\"").count - 1 == 2)  // 1e5 and 3e5, not 1e6
        #expect(gpu.contains(">3e5</text>"))
    }

    /// A legend label too long for the legend: smaller text, then cut with "…", the whole label in its tooltip.
    @Test func aLongLegendLabelStaysInsideThePlot() {
        var chart = SVGChart(id: "long", title: "t", xLabel: "x", yLabel: "y")
        let long =
            "anasod-bo[cost=carbo,budget=300], W=8 (20 seeds; fewer after 3.6e5)"
            + String(repeating: " and more", count: 4)
        chart.marks.append(.line([.init(1, 1), .init(2, 2)], color: "#000", label: long))
        chart.marks.append(.line([.init(1, 2), .init(2, 1)], color: "#111", label: "rs (20 seeds)"))
        let svg = chart.render()
        #expect(svg.contains("font-size=\"9.0\"><title>\(long)</title>anasod-bo[cost=carbo,budget=300], W=8"))
        #expect(svg.contains("…</text>") && svg.contains("font-size=\"9.0\">rs (20 seeds)</text>"))
    }

    @Test func logTicksAreRoundAndInside() {
        #expect(SVGChart.logTicks(2000...120_000) == [2000, 5000, 10_000, 20_000, 50_000, 100_000])
        #expect(SVGChart.logTicks(1...1e6) == [1, 10, 100, 1000, 10_000, 100_000, 1_000_000])
        #expect(SVGChart.logTicks(300...900) == [300, 400, 500, 600, 700, 800, 900])
        #expect(SVGChart.logLabel(3e5) == "3e5" && SVGChart.logLabel(2000) == "2e3" && SVGChart.logLabel(500) == "500")
    }
}
