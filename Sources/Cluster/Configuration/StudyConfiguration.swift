import ANASOD
import Foundation
import Search

/// A search run: what to search, how to evaluate, how the cluster behaves. Read from YAML
/// (`StudyConfiguration(yaml:source:)`, every key documented in `configs/README.md`); command-line flags
/// override single values afterwards.
public struct StudyConfiguration: Sendable, Hashable {
    /// The study's id: names the journal and appears in every job.
    public var study: String
    /// The search space: `nb201` (the default), `darts`, or the user's own definition (a `space:` mapping).
    public var space: StudySpace = .nb201
    /// The strategy (`anasod-bo-2s`, the default; `anasod-bo`, `rs`, …, with options in brackets for experiments).
    public var strategy = StrategyChoice(.anasodBO2S)
    /// `strategy: list`: the architectures to evaluate, in the space's notation, in order.
    public var architectures: [String] = []
    public var seed: UInt64 = 0
    /// Distinct architectures to evaluate successfully.
    public var budget: Int = 150
    /// How each architecture is evaluated (`evaluator`, except `command`): what every job carries.
    public var evaluator = EvaluationSettings()
    /// For `external`: the command `anasod search` gives its own local workers (`evaluator.command`). It
    /// never travels: a job carries no command, and a remote worker runs only the trainer it was started
    /// with (`--trainer-command`).
    public var trainerCommand: String?
    /// Attempts per job before it is recorded as failed.
    public var maxAttempts: Int = 3
    /// Seconds one attempt may take before its lease expires.
    public var jobTimeout: Double = 3600
    /// Leases one worker connection may hold at once, whatever slots it announces (`jobs.max_leases_per_worker`):
    /// a peer that claims 4,096 slots gets no more than this.
    public var maxLeasesPerWorker: Int = 16
    /// Jobs in a row that may fail for good before the study stops with an error (a broken evaluator
    /// would otherwise burn through the search space).
    public var maxConsecutiveFailures: Int = 25
    /// Seeds every job's training instead of `seed` (nil: `seed` seeds both the strategy and training).
    /// Studies with the same `seed` and different training seeds propose the same cells (for strategies
    /// whose proposals do not follow the results, `encoding-groups`) and train them with other seeds.
    public var trainingSeed: UInt64?
    /// `objective.constraints`: limits on measures known before training (`params`, `flops`; issue 30), and on
    /// measures the trainer reports after training (`latency_ms`, `memory_mb`). Every strategy proposes cells within
    /// the first only (`StudyMeasures`); the second it models, and a result that breaks them is never the best
    /// (`OutcomeLimits`).
    public var constraints: [Constraint] = []
    /// `objective.minimize` after `val_error`: further objectives, known before training (`params`, `flops`, a space's
    /// own measures) or measured by the trainer (`latency_ms`, `memory_mb`); with any, the study has a Pareto front
    /// (issue 30): ANASOD-BO searches it by EHVI where every objective is known before training, else the strategy
    /// runs under ParEGO's scalarisations (`MultiObjectiveStrategy`).
    public var objectives: [String] = []
    /// `jobs.early_stopping`: when the coordinator stops a cell before the end of its training (issue 28).
    public var earlyStopping = EarlyStoppingChoice(rule: .off)
    /// Where the coordinator listens.
    public var listen: String = "tcp://127.0.0.1:5555"
    /// `curve` (the default: CurveZMQ, only workers whose keys are allowed) or `none` (plain sockets,
    /// accepted only on loopback and `ipc://` endpoints).
    public var security = SecurityMode.curve
    /// The coordinator's keys folder (`coordinator.key_secret`, `workers/*.key`); `--keys` overrides it.
    public var keys: String?
    /// Seconds between heartbeats, both ways.
    public var heartbeatInterval: Double = 1
    /// Seconds of silence after which a worker is lost and its jobs re-leased.
    public var workerTimeout: Double = 10
    /// The SQLite journal; relative paths are relative to the working directory.
    public var journal: String
    /// The YAML text this configuration was read from (stored in the journal).
    public var source: String = ""

    public init(study: String, journal: String? = nil) {
        self.study = study
        self.journal = journal ?? "runs/\(study).sqlite"
    }

    /// Checks values that depend on each other; single values are checked while parsing.
    public func validate() throws {
        func fail(_ message: String) -> ClusterError { ClusterError(.invalidConfiguration, message) }
        guard !study.isEmpty, study.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw fail("'study' must be non-empty letters, digits, '-', '_' or '.', got '\(study)'")
        }
        guard budget > 0 else { throw fail("'budget' must be positive, got \(budget)") }
        guard maxAttempts > 0 else { throw fail("'jobs.max_attempts' must be positive, got \(maxAttempts)") }
        guard (1...4096).contains(maxLeasesPerWorker) else {
            throw fail("'jobs.max_leases_per_worker' must be in 1…4096, got \(maxLeasesPerWorker)")
        }
        guard maxConsecutiveFailures > 0 else {
            throw fail("'jobs.max_consecutive_failures' must be positive, got \(maxConsecutiveFailures)")
        }
        guard jobTimeout > 0 else { throw fail("'jobs.timeout' must be positive, got \(jobTimeout)") }
        guard heartbeatInterval > 0 else { throw fail("'cluster.heartbeat' must be positive, got \(heartbeatInterval)") }
        guard workerTimeout > heartbeatInterval else {
            throw fail("'cluster.worker_timeout' (\(workerTimeout)) must exceed 'cluster.heartbeat' (\(heartbeatInterval))")
        }
        guard listen.hasPrefix("tcp://") || listen.hasPrefix("ipc://") else {
            throw fail("'cluster.listen' must be a tcp:// or ipc:// endpoint, got '\(listen)'")
        }
        if trainerCommand != nil && evaluator.kind != .external {
            throw fail("'evaluator.command' is read only by 'evaluator.kind: external', not '\(evaluator.kind.rawValue)'")
        }
        do {
            try evaluator.validate(space: space.name)
        } catch let error as ANASODError {
            throw fail(error.message)
        }
        if earlyStopping.rule != .off {
            guard earlyStopping.maxEpochs ?? evaluator.training.epochs != nil else {
                throw fail("'jobs.early_stopping.max_epochs' is needed: the evaluator sets no 'epochs' to take it from")
            }
            if let problem = earlyStoppingSettings?.problem { throw fail(problem) }
        }
        try StudyMeasures.checkNames(self)
    }

    /// The early-stopping rule with its rungs, nil when off. `max_epochs` defaults to `evaluator.epochs`.
    public var earlyStoppingSettings: EarlyStopping? {
        guard earlyStopping.rule != .off, let maxEpochs = earlyStopping.maxEpochs ?? evaluator.training.epochs else { return nil }
        return EarlyStopping(rule: earlyStopping.rule,
                             minEpochs: earlyStopping.minEpochs ?? EarlyStopping.defaultMinEpochs(maxEpochs: maxEpochs),
                             reductionFactor: earlyStopping.reductionFactor, maxEpochs: maxEpochs)
    }
}

/// `jobs.early_stopping` as the study file gives it (`max_epochs` may be left to the evaluator's `epochs`).
public struct EarlyStoppingChoice: Sendable, Hashable {
    public var rule: EarlyStopping.Rule
    /// Nil: `EarlyStopping.defaultMinEpochs` of the training length.
    public var minEpochs: Int?
    public var reductionFactor = 3
    public var maxEpochs: Int?

    public init(rule: EarlyStopping.Rule, minEpochs: Int? = nil, reductionFactor: Int = 3, maxEpochs: Int? = nil) {
        self.rule = rule
        self.minEpochs = minEpochs
        self.reductionFactor = reductionFactor
        self.maxEpochs = maxEpochs
    }

    public init(_ settings: EarlyStopping) {
        self.init(rule: settings.rule, minEpochs: settings.minEpochs, reductionFactor: settings.reductionFactor,
                  maxEpochs: settings.maxEpochs)
    }

    /// As the stored configuration keeps it: `off`, or `asha min=1 eta=3 max=9` (max left out: the evaluator's).
    public var stored: String {
        guard rule != .off else { return "off" }
        return "\(rule.rawValue)" + (minEpochs.map { " min=\($0)" } ?? "") + " eta=\(reductionFactor)" + (maxEpochs.map { " max=\($0)" } ?? "")
    }

    /// Reads `stored` back; nil for text of another shape.
    public init?(stored text: String) {
        let words = text.split(separator: " ")
        guard let first = words.first, let rule = EarlyStopping.Rule(rawValue: String(first)) else { return nil }
        self.init(rule: rule)
        for word in words.dropFirst() {
            let pair = word.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, let value = Int(pair[1]) else { return nil }
            switch pair[0] {
            case "min": minEpochs = value
            case "eta": reductionFactor = value
            case "max": maxEpochs = value
            default: return nil
            }
        }
    }
}
