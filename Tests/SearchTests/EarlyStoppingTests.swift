import ANASOD
import Foundation
@testable import Search
import Testing

/// Early stopping's rungs (`RungLadder`: ASHA, stopping variant), the calibration that maps a stopped cell's
/// error onto the full-training scale, and how strategies see stopped cells (issue 28).
@Suite struct EarlyStoppingTests {
    @Test func rungsAreMinTimesEtaPowersBelowTheFullLength() {
        #expect(EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 3, maxEpochs: 27).rungs == [1, 3, 9])
        #expect(EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 3, maxEpochs: 28).rungs == [1, 3, 9, 27])
        #expect(EarlyStopping(rule: .asha, minEpochs: 2, reductionFactor: 4, maxEpochs: 200).rungs == [2, 8, 32, 128])
        #expect(EarlyStopping(rule: .off, minEpochs: 1, reductionFactor: 3, maxEpochs: 27).rungs.isEmpty)
        #expect(EarlyStopping(rule: .asha, minEpochs: Int.max / 2, reductionFactor: 3, maxEpochs: Int.max).rungs == [Int.max / 2])
        #expect(EarlyStopping(rule: .asha, minEpochs: 9, reductionFactor: 3, maxEpochs: 9).problem?.contains("max_epochs") == true)
        #expect(EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 1, maxEpochs: 9).problem?.contains("reduction_factor") == true)
        #expect(EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 3, maxEpochs: 9).problem == nil)
    }

    @Test func quantilesInterpolateAsNumPyDoes() {
        // numpy.quantile([1, 2, 4, 8], 1/3) = 2 + (1/3·3 − 1)·2 = 2.0; ([3, 1, 2], 0.25) = 1.5; one value: itself.
        #expect(RungLadder.quantile([1, 2, 4, 8], 1.0 / 3) == 2)
        #expect(abs(RungLadder.quantile([1, 2, 3], 0.25)! - 1.5) < 1e-12)
        #expect(abs(RungLadder.quantile([10, 20, 30, 40, 50], 1.0 / 3)! - 23.333333333333332) < 1e-12)
        #expect(RungLadder.quantile([7], 0.3) == 7)
        #expect(RungLadder.quantile([], 0.3) == nil)
    }

    @Test func aCellGoesOnOnlyWhileAtOrBelowTheCutoffOfThoseBeforeIt() {
        var ladder = RungLadder(EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 3, maxEpochs: 9))
        #expect(ladder.report(job: 1, epoch: 1, error: 50) == .goesOn(rung: 1))  // the first always goes on
        #expect(ladder.report(job: 2, epoch: 1, error: 60) == .stop(rung: 1, cutoff: 50))
        #expect(ladder.report(job: 3, epoch: 1, error: 40) == .goesOn(rung: 1))
        // Recorded at rung 1: 40, 50, 60 → their 1/3 quantile is 46.67: 45 goes on; then 40, 45, 50, 60 → 45: 47 stops.
        #expect(ladder.report(job: 4, epoch: 1, error: 45) == .goesOn(rung: 1))
        #expect(ladder.report(job: 5, epoch: 1, error: 47) == .stop(rung: 1, cutoff: 45))
        // Epoch 2 is no rung; a repeat of a rung's epoch is not recorded again; a stopped job reports nothing more.
        #expect(ladder.report(job: 1, epoch: 2, error: 45) == .none)
        #expect(ladder.report(job: 1, epoch: 1, error: 99) == .none)
        #expect(ladder.report(job: 2, epoch: 3, error: 10) == .none)
        #expect(ladder.errors(of: 1) == [1: 50])
        #expect(ladder.stopped == [2: 1, 5: 1])
        // (job 6 below is stopped at epoch 5, for rung 3.)
        // A trainer that skips epochs is judged at the first report past a rung, at the highest rung it reached
        // only: a jump does not fill the rungs below with a late error.
        #expect(ladder.report(job: 3, epoch: 4, error: 30) == .goesOn(rung: 3))
        #expect(ladder.errors(of: 3) == [1: 40, 3: 30])
        #expect(ladder.report(job: 6, epoch: 5, error: 70) == .stop(rung: 3, cutoff: 30))
        #expect(ladder.errors(of: 6) == [3: 70])
        #expect(ladder.report(job: 7, epoch: 3, error: 20) == .goesOn(rung: 3))
        #expect(ladder.report(job: 7, epoch: 1, error: 90) == .none)  // a rung below one it holds: never
        // Past the full length: no rung's (a hostile worker's epoch 10⁹ with 0 % fills nothing).
        #expect(ladder.report(job: 8, epoch: 1_000_000_000, error: 0) == .none)
        #expect(ladder.errors(of: 8).isEmpty)
    }

    /// What a resume does (`record` every journaled report, then `markStopped`) gives the live ladder's state.
    @Test func recordingTheReportsRebuildsTheLiveState() {
        let settings = EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 2, maxEpochs: 16)
        var rng = SeededGenerator(seed: 5)
        var live = RungLadder(settings)
        var reports = [(job: UInt64, epoch: Int, error: Double)]()
        var epochOf = [UInt64: Int]()
        for _ in 0..<400 {
            let job = UInt64(rng.nextInt(below: 40) + 1)
            guard live.stopped[job] == nil else { continue }
            let epoch = epochOf[job, default: 0] + 1 + rng.nextInt(below: 2)
            epochOf[job] = epoch
            let error = 100 * rng.nextUniform()
            reports.append((job, epoch, error))
            _ = live.report(job: job, epoch: epoch, error: error)
        }
        // Job by job (a journal replay's order), not in the order the reports came.
        var rebuilt = RungLadder(settings)
        for job in Set(reports.map(\.job)).sorted() {
            for r in reports where r.job == job { rebuilt.record(job: r.job, epoch: r.epoch, error: r.error) }
            if let e = live.stopped[job] { rebuilt.markStopped(job: job, epoch: e) }
        }
        #expect(rebuilt.recorded == live.recorded)
        #expect(rebuilt.stopped == live.stopped)
        #expect(!live.stopped.isEmpty)
    }

    /// The model-based rule: ASHA's cutoff until a rung has `minimumPairs` cells trained to the end; then the chance
    /// that the final error the rung error predicts (least-squares line, predictive spread) beats the best final error,
    /// checked against the closed form.
    @Test func theModelRuleStopsCellsUnlikelyToBeatTheBest() throws {
        var ladder = RungLadder(EarlyStopping(rule: .model, minEpochs: 1, reductionFactor: 3, maxEpochs: 9))
        // Rung 1 errors and final errors on a line, final = 0.5 · rung + 2, with small deviations.
        let pairs: [(Double, Double)] = [(40, 22.1), (50, 26.9), (60, 32.0), (44, 24.2), (56, 29.8)]
        for (i, p) in pairs.enumerated() {
            #expect(ladder.report(job: UInt64(i + 1), epoch: 1, error: p.0) != .none)
            // Before the fifth final, ASHA's cutoff decides (job 2's 50 > 40: stopped under ASHA — recorded anyway).
            if ladder.stopped[UInt64(i + 1)] == nil { ladder.finished(job: UInt64(i + 1), error: p.1) }
        }
        let finished = ladder.finals.count
        #expect(ladder.best == ladder.finals.values.min())
        // With fewer pairs than the minimum it is ASHA; add finished cells until the minimum is reached.
        var job: UInt64 = 10
        var extra: [(Double, Double)] = [(42, 23.0), (46, 25.1), (52, 28.0), (38, 21.1), (35, 19.4)]
        while ladder.finals.count < RungLadder.minimumPairs, !extra.isEmpty {
            let p = extra.removeFirst()
            job += 1
            ladder.record(job: job, epoch: 1, error: p.0)
            ladder.finished(job: job, error: p.1)
        }
        #expect(ladder.finals.count >= RungLadder.minimumPairs && finished <= ladder.finals.count)
        // The closed form at rung 1: the line through the pairs recorded there and finished.
        var xy = [(Double, Double)]()
        for (j, x) in ladder.recorded[1]! { if let y = ladder.finals[j] { xy.append((x, y)) } }
        let n = Double(xy.count), mx = xy.map(\.0).reduce(0, +) / n, my = xy.map(\.1).reduce(0, +) / n
        let sxx = xy.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
        let b = xy.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +) / sxx, a = my - b * mx
        let s2 = xy.map { pow($0.1 - a - b * $0.0, 2) }.reduce(0, +) / (n - 2)
        for x in [30.0, 45, 80] {
            let sd = (s2 * (1 + 1 / n + (x - mx) * (x - mx) / sxx)).squareRoot()
            let expected = 0.5 * erfc(-(ladder.best - (a + b * x)) / (sd * 2.0.squareRoot()))
            #expect(abs(try #require(ladder.chanceOfBeatingBest(rung: 1, error: x)) - expected) < 1e-12)
        }
        // A cell far worse than the best stops; one better than any goes on, whatever ASHA's cutoff says.
        #expect(ladder.report(job: 100, epoch: 1, error: 80) == .stop(rung: 1, cutoff: ladder.best))
        #expect(ladder.report(job: 101, epoch: 1, error: 30) == .goesOn(rung: 1))
        // Rung 3 has no pairs yet: ASHA's cutoff there.
        #expect(ladder.chanceOfBeatingBest(rung: 3, error: 30) == nil)
        // A result that breaks a limit calibrates but is no incumbent; a stopped job's final is ignored.
        let best = ladder.best
        ladder.finished(job: 200, error: 1, counts: false)
        #expect(ladder.best == best && ladder.finals[200] == 1)
        ladder.finished(job: 100, error: 0.5)
        #expect(ladder.finals[100] == nil)
    }

    @Test func calibrationFitsTheLineAndFallsBackWithFewPairs() {
        var c = RungCalibration()
        #expect(c.predict(rung: 3, error: 40) == 40)  // no data: the rung's error as it is
        c.learn(final: 10, rungErrors: [3: 30])
        #expect(c.predict(rung: 3, error: 40) == 20)  // one pair: the mean gap (−20) added
        c.learn(final: 20, rungErrors: [3: 50])
        c.learn(final: 15, rungErrors: [3: 40])
        // Three pairs on final = 0.5 · rung − 5: the line.
        #expect(abs(c.predict(rung: 3, error: 70) - 30) < 1e-9)
        #expect(c.predict(rung: 1, error: 70) == 70)  // another rung: no data there
        // A slope that would go negative is held at 0: a worse error never predicts a better end.
        var d = RungCalibration()
        for (rung, final) in [(30.0, 20.0), (40.0, 15.0), (50.0, 10.0)] { d.learn(final: final, rungErrors: [1: rung]) }
        #expect(abs(d.predict(rung: 1, error: 90) - 15) < 1e-9)
        #expect(d.predict(rung: 1, error: 1e9) <= 100)
    }

    @Test func historySeesAStoppedCellAtItsPredictedEndAndNeverAsTheBest() {
        let space = NB201SearchSpace()
        var history = StrategyHistory(space: space, seed: 1)
        let cells = (0..<5).map { space.architecture(at: $0 * 1000) }
        history.record(Observation(architecture: cells[0], value: 30, stoppedAtEpoch: 1, rungErrors: [1: 30]))
        #expect(history.best == nil && history.incumbent?.value == 30)
        #expect(history.cellMeans.isEmpty && history.bestSeenRecommendation == nil)
        history.record(Observation(architecture: cells[1], value: 10, rungErrors: [1: 20]))
        #expect(history.successes[0].value == 20)  // one pair: rung 20 → final 10, gap −10
        history.record(Observation(architecture: cells[2], value: 12, rungErrors: [1: 24]))
        history.record(Observation(architecture: cells[3], value: 14, rungErrors: [1: 28]))
        #expect(abs(history.successes[0].value - 15) < 1e-9)  // the line final = rung/2, recomputed
        #expect(history.best?.value == 10 && history.stopped == [cells[0]])
        #expect(history.cellMeans.map(\.architecture) == [cells[1], cells[2], cells[3]])
        // A retrain of a finished cell that is stopped leaves the cell's full results where they were.
        history.record(Observation(architecture: cells[1], value: 60, stoppedAtEpoch: 1, rungErrors: [1: 60]))
        #expect(history.cellMeans.first { $0.architecture == cells[1] }.map { ($0.mean, $0.count) } ?? (0, 0) == (10, 1))
        #expect(history.bestSeenRecommendation?.architecture == cells[1])
        // A stopped cell whose trainer skipped epochs is mapped from the highest rung it holds.
        history.record(Observation(architecture: cells[4], value: 50, stoppedAtEpoch: 4, rungErrors: [3: 50]))
        #expect(history.successes.last?.value == 50)  // no cell trained to the end was recorded at rung 3
    }
}
