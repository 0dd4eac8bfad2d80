import ANASOD
@testable import Cluster
import Foundation
import Journal
import Search
import Testing

/// The report's GP view is the study strategy's own surrogate, rebuilt from the journal as a resume
/// rebuilds it; a strategy without one says so.
@Suite struct GPViewTests {
    let space = NB201SearchSpace()

    /// A cheap error with a cliff: cells with four or more `none` edges train to 90 %, the rest depend on
    /// their operation shares and, a little, on where each operation sits.
    func error(_ a: Architecture) -> Double {
        let ops = a.cells[0].operations
        let counts = (0..<5).map { k in ops.filter { $0 == k }.count }
        if counts[0] >= 4 { return 90 }
        let placement = ops.enumerated().map { Double(($0.offset + 1) * ($0.element + 2) % 7) }.reduce(0, +) / 20
        return 18 + 2.5 * Double(counts[0]) + 1.5 * Double(counts[1]) + 0.8 * Double(counts[4]) - 0.5 * Double(counts[3]) + placement
    }

    /// Runs `strategy` as the coordinator does (two jobs in flight, a propose call whenever one finishes, the
    /// pending one passed along) for `results` results, journaling what the coordinator journals; returns
    /// the live strategy and the journal.
    func study(_ strategy: String, results: Int, seed: UInt64 = 3) throws -> (any SearchStrategy, InMemoryJournal) {
        var configuration = StudyConfiguration(study: "gp-view")
        configuration.strategy = try StrategyChoice(parsing: strategy)
        configuration.seed = seed
        configuration.budget = results
        var live = try configuration.makeStrategy(space: space)
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "gp-view", configuration: configuration.journalText, created: 0))
        var pending = [(job: UInt64, proposal: Proposal)]()
        var job: UInt64 = 0, calls = 0, observed = 0, time = 0.0
        while observed < results {
            let proposals = live.propose(count: 2 - pending.count, pending: pending.map(\.proposal))
            var records = [JournalRecord]()
            var jobs = [JournalRecord.ProposedJob]()
            for p in proposals {
                job += 1
                jobs.append(.init(job: job, architecture: space.format(p.architecture), encoding: space.encode(p.architecture).parts.map(\.probabilities)))
                pending.append((job, p))
            }
            records.append(.proposed(call: calls, jobs: jobs, observed: observed))
            calls += 1
            for (j, _) in pending.suffix(proposals.count) {
                time += 1
                records.append(.dispatched(job: j, attempt: 1, worker: "w", time: time))
            }
            let done = pending.removeFirst()
            let value = error(done.proposal.architecture), seconds = 10 + value / 10
            time += 1
            records.append(.result(job: done.job, attempt: 1, worker: "w",
                                   metrics: Metrics(validationError: value, trainSeconds: seconds), time: time))
            try journal.append(records)
            live.observe(Observation(architecture: done.proposal.architecture, value: value, seconds: seconds))
            observed += 1
        }
        return (live, journal)
    }

    /// The report's view is the live strategy's after the same events: the same hyperparameters (the same
    /// refit schedule), the same data, the same predictions everywhere, for both ANASOD-BO variants and the
    /// one-hot baseline.
    @Test(arguments: ["anasod-bo", "anasod-bo-2s", "onehot-bo"])
    func theReportShowsTheReplayedStrategysOwnSurrogate(strategy: String) throws {
        let (live, journal) = try study(strategy, results: 16)
        let page = try ReportPage(journals: [journal])
        let replayed = try page.replayedStrategy.get()
        let mine = try #require(live as? any SurrogateViewing).surrogateView()
        let theirs = try #require(replayed.strategy as? any SurrogateViewing).surrogateView()
        #expect(theirs.hyperparameters == mine.hyperparameters && theirs.fittedAt == mine.fittedAt)
        #expect(theirs.observations == 16 && theirs.label == mine.label)
        let cells = try page.histories[0].results.map { try space.parse($0.architecture) }
        #expect(theirs.predict(architectures: cells) == mine.predict(architectures: cells))
        if mine.input == .encoding {
            let grid = GPView.compositions(total: 6, parts: 5).map { $0.map { Double($0) / 6 } }
            #expect(theirs.predict(grid) == mine.predict(grid))
        }
        // And that is what the page plots and says.
        let view = try GPView(history: page.histories[0], strategy: replayed.strategy, space: replayed.space)
        let figures = page.figures()
        let chart = try #require(figures.charts.first { $0.name == "gp" })
        #expect(figures.omitted.isEmpty)
        #expect(chart.caption.contains(mine.label), "\(chart.caption)")
        #expect(chart.svg.contains("\(strategy)&#39;s surrogate over "), "\(chart.svg.prefix(600))")
        let best = try #require(view.rows.first)
        #expect(chart.svg.contains("#1: mean \(String(format: "%.2f", best.mean))"))
        if mine.input == .cell {
            #expect(view.rows.count == Set(page.histories[0].results.map(\.architecture)).count && !view.wholeGrid)
        }
    }

    /// Strategies that search without a surrogate get a plain sentence, not a GP they never used.
    @Test(arguments: ["rs", "re", "ls-cell"])
    func aStrategyWithoutASurrogateSaysSo(strategy: String) throws {
        let (_, journal) = try study(strategy, results: 8)
        let page = try ReportPage(journals: [journal])
        let figures = page.figures()
        #expect(!figures.charts.contains { $0.name == "gp" })
        #expect(figures.omitted.map(\.reason) == ["No GP view: the study's strategy, \(strategy), searches without a surrogate "
                                                    + "model, so there is no GP of its own to show."])
    }

    /// A stored strategy this build cannot make is said, with why.
    @Test func aStrategyThatCannotBeRebuiltSaysWhy() throws {
        let page = try ReportPage(journals: [try ReportPageTests.journal(results: 12, strategy: "simulated-annealing")])
        let reasons = page.figures().omitted
        #expect(reasons.map(\.name) == ["gp"])
        #expect(reasons[0].reason.hasPrefix("No GP view: the study's strategy could not be rebuilt from the journal: the "
                                            + "journal's stored 'strategy' (simulated-annealing)"), "\(reasons[0].reason)")
    }
}
