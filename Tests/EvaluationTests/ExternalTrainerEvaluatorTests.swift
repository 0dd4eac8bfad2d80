import ANASOD
import Evaluation
import Foundation
import Testing

@Suite struct ExternalTrainerEvaluatorTests {
    let architecture = try! NB201SearchSpace().parse(FakeTrainer.cell)

    @Test func progressAndResultComeBackAndTheJobIsHandedOver() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let dir = fake.folder.path
        let command = try fake.command("ok.sh", """
            cat > \(dir)/stdin.json
            echo "$CUDA_VISIBLE_DEVICES" > \(dir)/device
            cp "$ANASOD_JOB_FILE" \(dir)/file.json
            echo 'loading data' >&2
            echo '{"event": "progress", "epoch": 1, "train_loss": 1.5, "validation_error": 40.0, "seconds": 0.1}'
            echo ''
            echo '{"event": "progress", "epoch": 2, "train_loss": 0.9, "validation_error": 30.5, "seconds": 0.1, "extra": "ignored"}'
            echo '{"event": "result", "validation_error": 30.5, "test_error": 31.25, "train_seconds": 0.2, "parameters": 1234, "flops": 5678}'
            """)
        let log = ProgressLog()
        let result = try await fake.evaluator(command, device: "3").evaluate(architecture, seed: 42) { log.append($0) }
        #expect(result == Metrics(validationError: 30.5, testError: 31.25, trainSeconds: 0.2, parameters: 1234, flops: 5678))
        #expect(log.reports.map(\.epoch) == [1, 2])
        #expect(log.reports.map(\.validationError) == [40.0, 30.5])
        #expect(log.reports.first?.trainLoss == 1.5)
        // The job arrives on stdin and as a file, the seed is the attempt's, the GPU is the slot's.
        let stdin = try JSONSerialization.jsonObject(with: Data(contentsOf: fake.folder.appendingPathComponent("stdin.json"))) as! [String: Any]
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: fake.folder.appendingPathComponent("file.json"))) as! [String: Any]
        #expect(stdin["architecture"] as? String == FakeTrainer.cell)
        #expect(stdin["seed"] as? Int == 42)
        #expect(stdin["operations"] as? [String] == ["nor_conv_3x3", "none", "nor_conv_3x3", "skip_connect", "none", "skip_connect"])
        #expect(stdin["channels"] as? Int == 8)
        #expect(stdin["epochs"] as? Int == 2)
        #expect(stdin["learning_rate"] as? Double == 0.05)
        #expect(stdin["protocol"] as? Int == 1)
        #expect(file["architecture"] as? String == FakeTrainer.cell)
        let device = try String(contentsOf: fake.folder.appendingPathComponent("device"), encoding: .utf8)
        #expect(device.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
        // Standard error is kept in the job's folder.
        let stderr = try String(contentsOfFile: fake.folder.appendingPathComponent("work/stderr.log").path, encoding: .utf8)
        #expect(stderr.contains("loading data"))
    }

    @Test func aCrashIsAFailureWithTheLastLinesOfStderr() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let command = try fake.command("crash.sh", """
            echo '{"event": "progress", "epoch": 1, "seconds": 0.1}'
            echo 'Traceback (most recent call last):' >&2
            echo 'RuntimeError: CUDA out of memory' >&2
            exit 3
            """)
        do {
            _ = try await fake.evaluator(command).evaluate(architecture, seed: 0) { _ in }
            Issue.record("a crashed trainer gave a result")
        } catch let error as EvaluationError {
            #expect(error.code == .evaluationFailed)
            #expect(error.message.contains("exited with status 3"))
            #expect(error.message.contains("CUDA out of memory"))
        }
    }

    @Test func garbageOnStdoutStopsTheTrainerAtOnce() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let dir = fake.folder.path
        // Its `sleep 60` is a trainer that would run on: it must be stopped, not waited for.
        let command = try fake.command("garbage.sh", """
            echo $$ > \(dir)/pid
            echo 'epoch 1: loss 0.5'
            sleep 60
            """)
        let started = Date()
        do {
            _ = try await fake.evaluator(command).evaluate(architecture, seed: 0) { _ in }
            Issue.record("garbage output gave a result")
        } catch let error as EvaluationError {
            #expect(error.code == .trainerProtocol)
            #expect(error.message.contains("epoch 1: loss 0.5"))
        }
        #expect(Date().timeIntervalSince(started) < 50)  // the trainer sleeps 60 s: it was stopped, not waited for
        let pid = try #require(fake.pid("pid"))
        #expect(await FakeTrainer.gone(pid))
    }

    /// What a study may constrain only after evaluation travels in the result line (cluster/TRAINER.md).
    @Test func aResultLineCarriesLatencyAndMemory() throws {
        let line = "{\"event\": \"result\", \"validation_error\": 21.7, \"latency_ms\": 3.2, \"memory_mb\": 812}"
        #expect(try TrainerLine.parse(line) == .result(Metrics(validationError: 21.7, latencyMs: 3.2, memoryMB: 812)))
        let bare = try TrainerLine.parse("{\"event\": \"result\", \"validation_error\": 21.7}")
        #expect(bare == .result(Metrics(validationError: 21.7)))
    }

    @Test func badLinesAreProtocolErrorsThatNameTheProblem() throws {
        #expect(try TrainerLine.parse("  ") == nil)
        let cases = [
            ("{\"event\": \"result\"}", "without 'validation_error'"),
            ("{\"event\": \"result\", \"validation_error\": 140}", "outside 0…100"),
            ("{\"event\": \"result\", \"validation_error\": \"low\"}", "wrong type"),
            ("{\"event\": \"progress\", \"epoch\": 1.5}", "not a non-negative integer"),
            ("{\"epoch\": 1}", "without 'event'"),
            ("{\"event\": \"done\"}", "unknown event 'done'"),
            ("{\"event\": \"result\", \"validation_error\": NaN}", "not valid JSON"),
            ("{\"event\": \"result\", \"validation_error\": 9, \"latency_ms\": -0.5}", "a 'latency_ms' that is not a non-negative number"),
            ("{\"event\": \"result\", \"validation_error\": 9, \"memory_mb\": \"big\"}", "wrong type"),
            ("hello", "not a JSON object"),
        ]
        for (line, expected) in cases {
            do {
                _ = try TrainerLine.parse(line)
                Issue.record("accepted '\(line)'")
            } catch let error as EvaluationError {
                #expect(error.code == .trainerProtocol)
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }

    @Test func silenceOrExitingWithoutAResultIsAFailure() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let command = try fake.command("silent.sh", "echo 'nothing to report' >&2\nexit 0\n")
        do {
            _ = try await fake.evaluator(command).evaluate(architecture, seed: 0) { _ in }
            Issue.record("a silent trainer gave a result")
        } catch let error as EvaluationError {
            #expect(error.code == .trainerProtocol)
            #expect(error.message.contains("without printing a 'result' line"))
            #expect(error.message.contains("nothing to report"))
        }
    }

    @Test func aHangPastTheDeadlineKillsTheWholeProcessGroup() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let dir = fake.folder.path
        // The trainer ignores SIGTERM and leaves a child of its own running (the `sleep`s): both must be gone.
        let command = try fake.command("hang.sh", """
            echo $$ > \(dir)/pid
            trap '' TERM
            sleep 300 &
            echo $! > \(dir)/child
            echo '{"event": "progress", "epoch": 1, "seconds": 0.1}'
            while true; do sleep 1; done
            """)
        let started = Date()
        do {
            // 3 s: on a loaded 2-core machine the shell may need more than a second to write its pid files.
            _ = try await fake.evaluator(command, seconds: 3, killGrace: 0.5).evaluate(architecture, seed: 0) { _ in }
            Issue.record("a hung trainer gave a result")
        } catch let error as EvaluationError {
            #expect(error.code == .evaluationFailed)
            #expect(error.message.contains("deadline"))
        }
        let elapsed = Date().timeIntervalSince(started)
        // The upper bound is loose: on a loaded 2-core machine starting the shell alone has taken 20 s.
        #expect(elapsed >= 2.9 && elapsed < 60, "the slot was freed after \(elapsed) s")
        // A trainer killed before its first line ran left no group to check (seen only under heavy load).
        guard let pid = fake.pid("pid"), let child = fake.pid("child") else { return }
        #expect(await FakeTrainer.gone(pid))
        #expect(await FakeTrainer.gone(child))
    }

    @Test func cancellingTheEvaluationTearsTheTrainerDown() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let dir = fake.folder.path
        // A long trainer with a child (`sleep 300`): cancelling must end both.
        let command = try fake.command("long.sh", """
            sleep 300 &
            echo $! > \(dir)/child
            echo $$ > \(dir)/pid
            echo '{"event": "progress", "epoch": 1, "seconds": 0.1}'
            wait
            """)
        let evaluator = try fake.evaluator(command, seconds: 120)
        let architecture = self.architecture
        let task = Task { try await evaluator.evaluate(architecture, seed: 0) { _ in } }
        await fake.waitFor("pid")
        // Timing under test: the trainer has run a while (its children started) when the job is cancelled.
        try await Task.sleep(nanoseconds: 100_000_000)
        let started = Date()
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("a cancelled trainer gave a result")
        } catch {
            #expect(error is CancellationError, "\(error)")
        }
        #expect(Date().timeIntervalSince(started) < 10)
        let pid = try #require(fake.pid("pid")), child = try #require(fake.pid("child"))
        #expect(await FakeTrainer.gone(pid))
        #expect(await FakeTrainer.gone(child))
    }

    @Test func absurdGraceAndDeadlineValuesDoNotCrash() async throws {
        let fake = try FakeTrainer()
        defer { fake.remove() }
        let command = try fake.command("quick.sh", "echo '{\"event\": \"result\", \"validation_error\": 12.5}'\n")
        for (grace, seconds) in [(Double.infinity, 1e300), (Double.nan, 60), (-3, 1e18)] {
            let evaluator = try fake.evaluator(command, seconds: seconds, killGrace: grace)
            #expect(evaluator.killGrace >= 0 && evaluator.killGrace <= 3600)
            let result = try await evaluator.evaluate(architecture, seed: 0) { _ in }
            #expect(result.validationError == 12.5)
        }
    }
}
