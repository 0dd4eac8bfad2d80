import ANASOD
@testable import Evaluation
import Foundation
import Testing

/// A worker trusts no job (issue 25): every setting it acts on is checked again, and a bad one is that
/// job's `configuration` failure naming the field, never a crash; a job names a data set, never a path.
@Suite struct WorkerSettingsCheckTests {
    /// The check's error for `settings` and `timeout`, or nil when it passes.
    func refusal(_ settings: EvaluationSettings, space: String = "nb201", timeout: Double = 60) -> EvaluationError? {
        do {
            try settings.checkOnWorker(space: space, timeout: timeout)
            return nil
        } catch let error as EvaluationError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    func expectRefused(_ settings: EvaluationSettings, timeout: Double = 60, naming field: String,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        guard let error = refusal(settings, timeout: timeout) else {
            Issue.record("a job naming \(field) was accepted", sourceLocation: sourceLocation)
            return
        }
        #expect(error.code == .invalidSettings, sourceLocation: sourceLocation)
        #expect(error.failureClass == .configuration, sourceLocation: sourceLocation)
        #expect(error.message.contains(field), "\(error.message)", sourceLocation: sourceLocation)
    }

    @Test func theDefaultsOfEveryEvaluatorPass() {
        for kind in EvaluationSettings.Kind.allCases {
            #expect(refusal(EvaluationSettings(kind: kind)) == nil, "\(kind)")
        }
        var table = EvaluationSettings(kind: .table, dataset: "cifar100")
        table.seconds = 3600
        #expect(refusal(table, timeout: 86_400) == nil)
        #expect(refusal(EvaluationSettings(kind: .table, dataset: "my-table_v2.csv")) == nil)
    }

    @Test func unusableSecondsAreRefusedNamingTheField() {
        for seconds in [1e300, 1.85e10, .infinity, .nan, -1] {
            var settings = EvaluationSettings(kind: .table)
            settings.seconds = seconds
            expectRefused(settings, naming: "'evaluator.seconds'")
        }
        var synthetic = EvaluationSettings(kind: .synthetic)
        synthetic.failRate = .nan
        expectRefused(synthetic, naming: "'evaluator.fail_rate'")
        var external = EvaluationSettings(kind: .external)
        external.killGrace = 1e12
        expectRefused(external, naming: "'evaluator.kill_grace'")
        external = EvaluationSettings(kind: .external)
        external.training.learningRate = .nan
        expectRefused(external, naming: "'evaluator.learning_rate'")
        external = EvaluationSettings(kind: .external)
        external.training.epochs = -3
        expectRefused(external, naming: "'evaluator.epochs'")
    }

    @Test func unusableTimeoutsAreRefusedNamingTheField() {
        for timeout in [-1, 0, .nan, .infinity, 1e300] {
            expectRefused(EvaluationSettings(kind: .synthetic), timeout: timeout, naming: "'jobs.timeout'")
        }
    }

    @Test func aDataSetIsANameNeverAPath() {
        for dataset in ["../../etc/passwd", "/abs/path", "/abs/path.csv", "../cifar10.csv", "tables/cifar10.csv", ".hidden.csv",
                        "..", "", "cifar10\0", "ci far", String(repeating: "a", count: 200)] {
            for kind in [EvaluationSettings.Kind.table, .external] {
                expectRefused(EvaluationSettings(kind: kind, dataset: dataset), naming: "'evaluator.dataset")
            }
        }
    }

    @Test func aJobNeverNamesADataFolder() {
        var settings = EvaluationSettings(kind: .external, dataset: "cifar10")
        settings.dataDirectory = "/home/victim/.ssh"
        expectRefused(settings, naming: "'evaluator.data_dir")
    }

    @Test func tablesAreFoundOnlyInTheWorkersOwnFolder() throws {
        #expect(try NB201Table.resolve(dataset: "cifar10", directory: "/data") == "/data/cifar10.csv")
        #expect(try NB201Table.resolve(dataset: "mine.csv", directory: "/data") == "/data/mine.csv")
        #expect(try NB201Table.resolve(dataset: "cifar100", directory: nil, environment: ["ANASOD_NB201_DIR": "/env"])
                    == "/env/cifar100.csv")
        for name in ["../../etc/passwd", "/etc/passwd", "/abs/table.csv", "x/y.csv", ".csv"] {
            #expect(throws: EvaluationError.self, "\(name)") { try NB201Table.resolve(dataset: name, directory: "/data") }
        }
    }

    /// A simulated training time far beyond any `UInt64` of nanoseconds waits (until cancelled) instead of
    /// trapping, even where the check was skipped.
    @Test func aHugeSimulatedTimeDoesNotTrap() async throws {
        let space = NB201SearchSpace()
        for seconds in [1e300, Double.infinity, Double.nan] {
            let evaluator = SyntheticEvaluator(space: space, seconds: seconds)
            let task = Task { try await evaluator.evaluate(space.architecture(at: 7), seed: 1) { _ in } }
            // Timing under test: cancelled 20 ms into a simulated wait of `seconds`.
            try await Task.sleep(nanoseconds: 20_000_000)
            task.cancel()
            let outcome = await task.result
            if seconds.isNaN {
                #expect((try? outcome.get()) != nil)  // NaN is not > 0: no wait at all
            } else {
                #expect(throws: CancellationError.self) { try outcome.get() }
            }
        }
    }
}
