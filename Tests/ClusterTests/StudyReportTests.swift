import ANASOD
@testable import Cluster
import Journal
import Testing

@Suite struct StudyReportTests {
    @Test func csvQuotesFieldsAndDefusesFormulaWorkerIDs() throws {
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "s", configuration: "", created: 0))
        let arch = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
        try journal.append([
            .proposed(call: 0, jobs: [.init(job: 1, architecture: arch, encoding: [[0.2, 0.2, 0.2, 0.2, 0.2]])]),
            .dispatched(job: 1, attempt: 1, worker: "=HYPERLINK(\"x\"),evil\nrow", time: 0),
            .result(job: 1, attempt: 1, worker: "=HYPERLINK(\"x\"),evil\nrow",
                    metrics: .init(validationError: 7.5, trainSeconds: 1), time: 1),
        ])
        let csv = try StudyReport(journal: journal).csv()
        #expect(csv.contains("\"'=HYPERLINK(\"\"x\"\"),evil\nrow\""))
        #expect(StudyReport.csvField("plain") == "plain")
        #expect(StudyReport.csvField("a,b") == "\"a,b\"")
        #expect(StudyReport.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}

@Suite struct JournalEncodingAnalysisTests {
    static func report(_ results: [(String, Double)], space: SpaceName = .nb201,
                       configuration: String? = nil) throws -> StudyReport {
        let journal = InMemoryJournal()
        let declared = #"{"source": "", "effective": {"study": "s", "space": "\#(space.rawValue)"}}"#
        try journal.begin(StudyRecord(id: "s", configuration: configuration ?? declared, created: 0))
        for (i, (arch, error)) in results.enumerated() {
            let job = UInt64(i + 1)
            try journal.append([
                .proposed(call: i, jobs: [.init(job: job, architecture: arch, encoding: [[0.2, 0.2, 0.2, 0.2, 0.2]])]),
                .dispatched(job: job, attempt: 1, worker: "w", time: 0),
                .result(job: job, attempt: 1, worker: "w", metrics: .init(validationError: error, trainSeconds: 1), time: 1),
            ])
        }
        return try StudyReport(journal: journal)
    }

    /// SDs against hand computation: two encodings of two cells each, one cell trained in two studies.
    @Test func sdsMatchAHandComputation() throws {
        let a = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
        let b = "|skip_connect~0|+|nor_conv_3x3~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"  // a's counts
        let c = "|none~0|+|none~0|none~1|+|none~0|none~1|nor_conv_3x3~2|"
        let d = "|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|"  // c's counts
        let first = try Self.report([(a, 10), (b, 12), (c, 40), (d, 50)])
        let second = try Self.report([(a, 11)])
        let analysis = try JournalEncodingAnalysis(reports: [first, second])
        #expect(analysis.results == 5 && analysis.cells == 4)
        let all = [10.0, 12, 40, 50, 11], mean = all.reduce(0, +) / 5
        let overall = (all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 5).squareRoot()
        #expect(abs(analysis.overallSD - overall) < 1e-12)
        // Encodings: {a (mean 10.5), b 12} → SD 0.75; {c 40, d 50} → SD 5; median 2.875.
        #expect(analysis.encodingsWithSpread == 2)
        #expect(abs(analysis.medianWithinSD - 2.875) < 1e-12)
        #expect(analysis.cellsWithSeeds == 1 && abs(analysis.medianSeedSD - 0.5) < 1e-12)
        #expect(analysis.markdown().contains("| 0.500 | 0.17 |"))
    }

    static let dartsCell = "normal=|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|"
        + "+|sep_conv_3x3~0|sep_conv_3x3~1|;reduce=|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|max_pool_3x3~1|"
        + "+|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|max_pool_3x3~1|"

    @Test func cellsOfTwoSpacesAreRefused() throws {
        let nb201 = try Self.report([("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", 10)])
        let darts = try Self.report([(Self.dartsCell, 20)], space: .darts)
        #expect { try JournalEncodingAnalysis(reports: [nb201, darts]) } throws: { "\($0)".contains("analyse them apart") }
    }

    /// Cells are read in the space their study declares, never guessed from the text: a DARTS study's cells
    /// are DARTS cells, and an NB201 study holding one is an error naming it.
    @Test func cellsAreReadInTheDeclaredSpace() throws {
        let darts = try JournalEncodingAnalysis(reports: [try Self.report([(Self.dartsCell, 20)], space: .darts)])
        #expect(darts.results == 1 && darts.cells == 1)
        let mislabelled = try Self.report([(Self.dartsCell, 20)], space: .nb201)
        #expect { try JournalEncodingAnalysis(reports: [mislabelled]) } throws: { "\($0)".contains("is not a nb201 cell") }
    }

    /// A stored configuration that cannot be read is an error naming the study, not a guess.
    @Test func anUnreadableConfigurationIsAnError() throws {
        let report = try Self.report([("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", 10)], configuration: "{not: [yaml")
        #expect { try JournalEncodingAnalysis(reports: [report]) } throws: {
            ($0 as? ClusterError)?.code == .invalidConfiguration && "\($0)".contains("study 's'") && "\($0)".contains("cannot be read")
        }
        let unknown = try Self.report([], configuration: #"{"effective": {"space": "nb301"}}"#)
        #expect { try JournalEncodingAnalysis(reports: [unknown]) } throws: { "\($0)".contains("'nb301'") && "\($0)".contains("nb201, darts") }
    }
}

@Suite struct ProgressLineTests {
    static func status(successes: Int, elapsed: Double, best: Double?) -> CoordinatorStatus {
        CoordinatorStatus(study: "s", budget: 60, successes: successes, failed: 1, running: 2, queued: 0, workers: 2,
                          best: best.map { ($0, "|x|") }, finished: false, elapsed: elapsed, abortReason: nil)
    }

    @Test func theLineSaysDoneRateTimeLeftAndBest() {
        let line = ProgressLine.render(Self.status(successes: 15, elapsed: 60, best: 18.6123), width: 120)
        #expect(line.hasPrefix("[#######" + String(repeating: "·", count: 23) + "] 15/60 25%"), "\(line)")
        #expect(line.contains("· 0.25/s · 3m00s left · best 18.612 · 2 workers · 2 running · 1 failed"), "\(line)")
        let start = ProgressLine.render(Self.status(successes: 0, elapsed: 0, best: nil), width: 120)
        #expect(start.contains("0/60 0% · 0.00/s · time left — · best —"), "\(start)")
    }

    /// The recommendation's estimate goes beside the best; at 80 columns the least telling parts go first and
    /// done / budget, time left, best and recommended stay.
    @Test func theLineShowsTheRecommendationAndFitsEightyColumns() {
        var s = Self.status(successes: 15, elapsed: 60, best: 18.6123)
        s.recommended = (18.7, "|y|", 2)
        let wide = ProgressLine.render(s, width: 160)
        #expect(wide.contains("· 3m00s left · best 18.612 · rec 18.700 · 2 workers · 2 running · 1 failed"), "\(wide)")
        let narrow = ProgressLine.render(s, width: 80)
        #expect(narrow.count <= 79, "\(narrow)")
        #expect(narrow.hasPrefix("[") && narrow.hasSuffix("] 15/60 25% · 3m00s left · best 18.612 · rec 18.700 · 1 failed"),
                "\(narrow)")
        s.failed = 0
        #expect(ProgressLine.render(s, width: 80).hasSuffix("rec 18.700 · 2 workers"))
    }

    @Test func theLineNeverWraps() {
        for width in [20, 40, 79, 200] {
            #expect(ProgressLine.render(Self.status(successes: 59, elapsed: 1, best: 5), width: width).count <= max(20, width - 1))
        }
        #expect(ProgressLine.duration(3725) == "1h02m" && ProgressLine.duration(59.6) == "1m00s" && ProgressLine.duration(.infinity) == "—")
    }
}
