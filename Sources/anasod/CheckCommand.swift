import ANASOD
import ArgumentParser
import Cluster
import Evaluation
import Foundation
import Search
import Wire

/// `anasod check`: the pre-flight of `anasod search` and one tiny evaluation on this machine (a table
/// look-up, one training step, one trainer process started and answered), then what the study would do.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a study before running it: settings, data, trainer, GPUs, and one tiny evaluation.")
    @OptionGroup var study: StudyOverrides
    @Option(name: .customLong("nb201-dir"), help: "Folder of the NB201 CSV files (default: $ANASOD_NB201_DIR, else ../shared/data/nb201).")
    var nb201Dir: String?
    @Option(help: "The external trainer's command (default: the study's evaluator.command).") var trainerCommand: String?
    @Option(help: "GPUs to check, as for anasod search: a list (0,1) or 'auto'.") var gpus: String?

    func run() async throws {
        let c = try study.load()
        let command = trainerCommand ?? c.trainerCommand
        let local = LocalWorkers(nb201Directory: nb201Dir, trainerCommand: command, gpus: gpus)
        let preflight = try await Preflight.check(c, local: local, gpusOptional: true)
        let space = c.space.space
        var strategy = try c.makeStrategy(space: space)
        let settings = c.evaluator
        print("study \(c.study): pre-flight passed")
        print("space      \(Self.describe(space))")
        print("strategy   \(c.strategy), seed \(c.seed), budget \(c.budget) results, \(c.maxAttempts) attempt(s) a job")
        print("evaluator  \(Self.describe(settings))")
        if let line = Self.describeEarlyStopping(c) { print("early stop \(line)") }
        let limits = OutcomeLimits(c)
        if let extent = preflight.constraints {
            let known = c.constraints.filter { !limits.constraints.contains($0) }
            print("constraints \(known.map(\.description).joined(separator: ", ")): \(extent.summary) feasible; "
                  + "proposals keep to them")
        }
        if !limits.isEmpty {
            print("limits     \(limits.constraints.map(\.description).joined(separator: ", ")): measured by the trainer after "
                  + "training; the strategy models them, a result that breaks them (or lacks the measure) is never the best")
        }
        for line in preflight.skipped { print("skipped    \(line)") }

        // One tiny evaluation of the strategy's first proposal, as a worker would run it.
        guard let proposal = strategy.propose(count: 1, pending: []).first else {
            throw ClusterError(.run, "the strategy proposed nothing")
        }
        var tiny = settings
        var what = ""
        switch settings.kind {
        case .table, .synthetic:
            tiny.seconds = 0
            what = settings.kind == .table ? "one table look-up" : "one synthetic evaluation"
        case .trainer, .external:
            let batch = settings.training.batchSize ?? 64
            tiny.training.epochs = 1
            tiny.training.trainLimit = batch
            tiny.training.validationSize = min(settings.training.validationSize ?? batch, batch)
            tiny.training.testLimit = 0
            what = "one training step (batch \(batch))" + (settings.kind == .external ? " in one trainer process" : "")
        }
        var device: String?
        if settings.kind == .external {
            if let gpu = preflight.gpus.first {
                device = gpu.index
                what += " on \(gpu.announcement)"
            } else if settings.device == .gpu {
                print("skipped    the trainer run: 'evaluator.device: gpu' and no GPU here; the settings, the trainer command "
                      + "and its script were checked (run anasod check on a GPU machine for the rest)")
                printCluster(c)
                return
            }
        }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("anasod-check-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let evaluators = LocalEvaluators(nb201Directory: nb201Dir, trainerCommand: command, workDirectory: work.path)
        let job = Job(key: JobKey(jobID: 1, attempt: 1), studyID: c.study, space: c.space.name,
                      encoding: proposal.encoding.parts.map(\.probabilities), architecture: space.format(proposal.architecture),
                      evaluation: tiny, seed: c.seed, timeout: max(60, min(c.jobTimeout, 600)))
        let loading = Date()
        let metrics: Metrics
        let seconds: Double
        do {
            // Loading a table or a data set happens once per worker: timed apart from the evaluation.
            let evaluator = try evaluators.evaluator(for: job, space: space, device: device)
            let loaded = Date().timeIntervalSince(loading)
            if loaded > 0.05 { print("loaded     \(settings.datasetName) in " + String(format: "%.2f s", loaded) + " (once per worker)") }
            let started = Date()
            metrics = try await evaluator.evaluate(proposal.architecture, seed: c.seed) { _ in }
            seconds = Date().timeIntervalSince(started)
        } catch let error as EvaluationError {
            throw ClusterError(.run, "\(what) failed (\(error.failureClass.rawValue)): \(error.message)")
        }
        print("tiny run   \(what): " + String(format: "%.2f s, validation error %.2f %%", seconds, metrics.validationError)
              + metrics.measured.sorted { $0.key < $1.key }.map { ", \($0.key) " + String(format: "%.3g", $0.value) }.joined()
              + " (\(space.format(proposal.architecture)))")
        let missing = limits.missing(in: metrics)
        if !missing.isEmpty {
            throw ClusterError(.run, "\(what) reported no \(missing.joined(separator: ", ")), which 'objective.constraints' limits: "
                               + "every result would count as breaking it (the trainer's result line needs it: cluster/TRAINER.md)")
        }
        print("per job    \(Self.expectedTime(settings, tinySeconds: seconds))")
        printCluster(c)
    }

    /// What early stopping will do, and whether this evaluator reports what it needs: an error at each epoch.
    static func describeEarlyStopping(_ c: StudyConfiguration) -> String? {
        guard let settings = c.earlyStoppingSettings else { return nil }
        let rungs = settings.rungs.map(String.init).joined(separator: ", ")
        let line = "\(settings.rule.rawValue): rungs at epoch(s) \(rungs) of \(settings.maxEpochs); about 1 cell in "
            + "\(settings.reductionFactor) goes on at each"
        switch c.evaluator.kind {
        case .table:
            return line + ". A table reports no per-epoch error: no cell is ever stopped"
        case .synthetic where (c.evaluator.training.epochs ?? 1) <= 1:
            return line + ". 'evaluator.epochs' is 1: one report a cell, at the end, so no cell is ever stopped"
        case .synthetic, .trainer:
            return line + ". The evaluator reports the validation error each epoch"
        case .external:
            return line + ". A cell is stopped only if its trainer reports val_error each epoch "
                + "(anasod_trainer: job.report(epoch, val_error=…)); one that does not is never stopped"
        }
    }

    func printCluster(_ c: StudyConfiguration) {
        let journal = FileManager.default.fileExists(atPath: c.journal) ? "exists: continue it with --resume" : "new"
        print("cluster    \(c.security) on \(c.listen); journal \(c.journal) (\(journal))")
    }

    static func describe(_ space: any SearchSpace) -> String {
        let k = space.operationCount, slots = space.slotsPerCell, cells = Double(space.cellTypes.count)
        // Cells: every slot's choices (restricted slots: only their operations) times the connectivity patterns.
        // Per cell type: every slot's choices (restricted: only its operations) times the connectivity patterns.
        let architectures = space.cellTypes.indices.reduce(1.0) { total, t in
            total * (0..<slots).reduce(space.connectivityPatterns) { product, slot in
                product * Double((0..<k).filter { space.allows(cellType: t, slot: slot, operation: $0) }.count)
            }
        }
        // Operation distributions per cell: the count vectors of `slots` operations over k kinds (with
        // restrictions: those that have cells).
        var distributions = 1.0
        for i in 0..<(k - 1) { distributions = distributions * Double(slots + k - 1 - i) / Double(i + 1) }
        let total = space.restrictsSlots ? space.cellTypes.indices.reduce(1.0) { $0 * Double(space.cellEncodingCount($1)) }
            : pow(distributions.rounded(), cells)
        let restricted = space.restrictsSlots ? ", some slots restricted" : ""
        return "\(space.name): \(number(architectures)) architectures, \(number(total)) "
            + "operation distributions (\(space.cellTypes.count) cell type(s), \(slots) slots, \(k) operations\(restricted))"
    }

    static func number(_ value: Double) -> String {
        value < 1e7 ? String(Int(value.rounded())) : String(format: "%.2e", value)
    }

    static func describe(_ s: EvaluationSettings) -> String {
        var fields = s.textFields
        fields["kind"] = nil
        fields["dataset"] = nil
        if s.seconds == 0 { fields["seconds"] = nil }
        if s.failRate == 0 { fields["fail_rate"] = nil }
        let rest = fields.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "\(s.kind.rawValue) on \(s.datasetName)" + (rest.isEmpty ? "" : " (\(rest))")
    }

    /// What one evaluation of the real study should take, from the tiny run.
    static func expectedTime(_ s: EvaluationSettings, tinySeconds: Double) -> String {
        switch s.kind {
        case .table, .synthetic:
            return s.seconds > 0 ? String(format: "%.1f s (simulated: evaluator.seconds)", s.seconds) : String(format: "%.3f s", tinySeconds)
        case .trainer, .external:
            let batch = Double(s.training.batchSize ?? 64)
            let validation = Double(s.training.validationSize ?? 5000)
            let train = Double(s.training.trainLimit.flatMap { $0 > 0 ? $0 : nil } ?? Int(60_000 - validation))
            let test = Double(s.training.testLimit ?? 10_000)
            let steps = Double(s.training.epochs ?? 1) * (train / batch).rounded(.up)
            // A forward pass over a batch costs about a third of a training step.
            let evaluation = (validation * Double(s.training.epochs ?? 1) + test) / batch / 3
            let estimate = tinySeconds * (steps + evaluation)
            let note = s.kind == .external ? ", the trainer's start-up counted in every step: an upper bound" : ""
            return String(format: "≈ %.0f s (%.0f training steps × %.2f s%@)", estimate, steps, tinySeconds, note)
        }
    }
}
