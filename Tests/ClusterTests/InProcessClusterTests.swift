import ANASOD
@testable import Cluster
import Evaluation
import Foundation
import Journal
import Search
import TestSupport
import Testing

@Suite struct InProcessClusterTests {
    func configuration(budget: Int, strategy: StrategyName = .anasodBO, failRate: Double = 0) -> StudyConfiguration {
        var c = StudyConfiguration(study: "test")
        c.budget = budget
        c.strategy = StrategyChoice(strategy)
        c.evaluator.kind = .synthetic
        c.evaluator.failRate = failRate
        c.heartbeatInterval = 0.2
        c.workerTimeout = 2
        c.maxAttempts = 4
        return c
    }

    func runCluster(_ c: StudyConfiguration, journal: any Journal, workers: Int, resume: Bool = false,
                    continueAfterFailures: Bool = false) async throws -> CoordinatorStatus {
        let cluster = try InProcessCluster(configuration: c, journal: journal, resume: resume,
                                           continueAfterFailures: continueAfterFailures)
        for i in 0..<workers { cluster.addWorker(id: "w\(i)", slots: 2) }
        return try await cluster.finish()
    }

    @Test func aStudyReachesExactlyItsBudget() async throws {
        let journal = InMemoryJournal()
        let status = try await runCluster(configuration(budget: 30), journal: journal, workers: 3)
        #expect(status.successes == 30)
        #expect(status.finished)
        let results = try journal.records().compactMap { r -> UInt64? in if case .result(let j, _, _, _, _) = r { j } else { nil } }
        #expect(results.count == 30)
        #expect(Set(results).count == 30)
    }

    @Test func retryableFailuresAreRetriedAndTheBudgetIsStillMet() async throws {
        let journal = InMemoryJournal()
        let status = try await runCluster(configuration(budget: 25, strategy: .rs, failRate: 0.3), journal: journal, workers: 2)
        #expect(status.successes == 25)
        let failures = try journal.records().filter { if case .failure = $0 { true } else { false } }
        #expect(!failures.isEmpty)
    }

    @Test func resumeKeepsEveryResultAndRedoesNone() async throws {
        let journal = InMemoryJournal()
        _ = try await runCluster(configuration(budget: 12), journal: journal, workers: 2)
        var more = configuration(budget: 20)
        more.study = "test"
        let status = try await runCluster(more, journal: journal, workers: 2, resume: true)
        #expect(status.successes == 20)
        let results = try journal.records().compactMap { r -> UInt64? in if case .result(let j, _, _, _, _) = r { j } else { nil } }
        #expect(results.count == 20)
        #expect(Set(results).count == 20)
    }

    @Test func aStudyStoppedForFailuresStaysStoppedOnResumeUnlessAskedToGoOn() async throws {
        let journal = InMemoryJournal()
        var c = configuration(budget: 20, strategy: .rs, failRate: 1)
        c.maxAttempts = 1
        c.maxConsecutiveFailures = 3
        let first = try await runCluster(c, journal: journal, workers: 1)
        #expect(first.abortReason != nil)
        let failed = first.failed
        do {
            _ = try await runCluster(c, journal: journal, workers: 1, resume: true)
            Issue.record("a study that stopped for failures was resumed without being asked")
        } catch let error as ClusterError {
            #expect(error.message.contains("--continue-after-failures"))
        }
        let again = try await runCluster(c, journal: journal, workers: 1, resume: true, continueAfterFailures: true)
        #expect(again.failed >= failed + 3)  // it went on, and stopped again on the same cause
        #expect(again.abortReason != nil)
    }
}
