/// How a study's architectures are evaluated: read from the study's `evaluator` section, validated once
/// (at the coordinator, when the study starts: `validate(space:)`), and carried in every job as this typed,
/// versioned structure. Workers read it as it is; nothing is re-parsed from text or defaulted on a worker.
/// Keys (`evaluator.epochs`, …) are those of the YAML file (`configs/README.md`).
public struct EvaluationSettings: Sendable, Hashable {
    /// The version of this structure on the wire; a worker refuses (as that job's `configuration` failure)
    /// settings of a version it does not read.
    public static let version = 1

    /// The evaluators, and what each of them can build.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// NB201 benchmark-table look-ups.
        case table
        /// A deterministic function of the cell (load tests, benchmarks).
        case synthetic
        /// The Swift CPU trainer.
        case trainer
        /// An external trainer process (`cluster/TRAINER.md`), the worker's own.
        case external

        /// Whether every evaluation of one cell gives the same value (a look-up, a function of the cell): a
        /// strategy gains nothing by training a cell again.
        public var isDeterministic: Bool { self == .table || self == .synthetic }

        /// The data set when the study names none: each evaluator's own, never one global default.
        public var defaultDataset: String {
            switch self {
            case .table: "cifar10"
            case .synthetic: "synthetic"
            case .trainer, .external: "fashion-mnist"
            }
        }

        /// The search spaces this evaluator can build; nil when any (an external trainer's worker announces
        /// its own).
        public var spaces: [SpaceName]? {
            switch self {
            case .table: [.nb201]
            case .trainer: [.nb201, .darts]
            case .synthetic, .external: nil
            }
        }

        /// The data sets this evaluator reads; nil when any (`table` also reads a `NAME.csv` file of the worker's
        /// table folder).
        public var datasets: [String]? {
            switch self {
            case .table: ["cifar10", "cifar100"]
            case .trainer: ["fashion-mnist"]
            case .synthetic: ["synthetic"]
            case .external: nil
            }
        }

        /// Whether this evaluator reads `dataset` (a table also reads a `.csv` file of the worker's table folder,
        /// by name).
        public func reads(dataset: String) -> Bool {
            if self == .table, dataset.hasSuffix(".csv") { return true }
            return datasets?.contains(dataset) ?? true
        }

        /// Whether this evaluator can build architectures of the space named `space` (a job's, as it travels:
        /// `synthetic` and `external` take any name, a space this build does not know included).
        public func builds(space: String) -> Bool { spaces?.contains { $0.rawValue == space } ?? true }

        /// The keys of the `evaluator` section this evaluator reads (beyond `kind` and `dataset`).
        public var keys: Set<String> {
            switch self {
            case .table: ["seconds"]
            case .synthetic: ["seconds", "fail_rate", "epochs"]
            case .trainer: TrainingPlan.keys
            case .external: TrainingPlan.keys.union(["command", "data_dir", "kill_grace", "amp", "trainer", "device"])
            }
        }
    }

    public var kind: Kind
    /// The data set as the study names it; nil: the evaluator's default (`datasetName`).
    public var dataset: String?
    /// `table`, `synthetic`: seconds each evaluation takes (simulated training time).
    public var seconds: Double = 0
    /// `synthetic`: the share of attempts that fail with a retryable error.
    public var failRate: Double = 0
    /// `trainer`, `external`: network and schedule (nil values: the trainer's defaults).
    public var training = TrainingPlan()
    /// `external`: where the trainer reads its data on the worker (nil: the trainer's default place).
    public var dataDirectory: String?
    /// `external`: seconds between SIGTERM and SIGKILL of a trainer past its deadline.
    public var killGrace = EvaluationSettings.defaultKillGrace
    /// `external`: mixed precision on the GPU (nil: the trainer's default).
    public var amp: Bool?
    /// `external`: the trainer profile a worker must offer (nil: its default trainer).
    public var trainer: String?
    /// `external`: where the trainer must run; `gpu` studies go only to workers with GPU slots.
    public var device = Device.any

    /// Where a trainer runs.
    public enum Device: String, Sendable, Hashable, CaseIterable {
        /// On whatever slot the worker has (a GPU slot or a CPU one).
        case any
        /// On GPU slots only (`anasod worker --gpus`).
        case gpu
    }

    public init(kind: Kind = .table, dataset: String? = nil) {
        self.kind = kind
        self.dataset = dataset
    }

    /// The data set evaluated: the one named, else the evaluator's default.
    public var datasetName: String { dataset ?? kind.defaultDataset }

    /// The trainer profile a worker must offer for this study (`default` unless the study names one).
    public var trainerProfile: String { trainer ?? "default" }

    /// The keys set to something other than their defaults (to name keys an evaluator does not read).
    public var setKeys: Set<String> {
        var keys = training.setKeys
        if seconds != 0 { keys.insert("seconds") }
        if failRate != 0 { keys.insert("fail_rate") }
        if dataDirectory != nil { keys.insert("data_dir") }
        if killGrace != Self.defaultKillGrace { keys.insert("kill_grace") }
        if amp != nil { keys.insert("amp") }
        if trainer != nil { keys.insert("trainer") }
        if device != .any { keys.insert("device") }
        return keys
    }

    /// Checks every value and every combination: ranges, keys the evaluator does not read, a space it
    /// cannot build, a data set it does not read or that is not a plain name (`datasetNameProblem`). Errors
    /// name the keys.
    /// - Throws: `ANASODError.invalidSettings`.
    public func validate(space: String) throws {
        func fail(_ message: String) -> ANASODError { ANASODError(.invalidSettings, message) }
        if !kind.builds(space: space) {
            let built = kind.spaces!.map(\.rawValue).joined(separator: ", ")
            throw fail("'evaluator.kind: \(kind.rawValue)' cannot build '\(space)' cells (it builds \(built)); "
                       + "use 'external' with a trainer for that space, or 'synthetic'")
        }
        if let problem = Self.datasetNameProblem(datasetName) {
            throw fail("'evaluator.dataset: \(datasetName.prefix(200))' \(problem)")
        }
        if !kind.reads(dataset: datasetName) {
            let known = kind.datasets!.joined(separator: ", ")
                + (kind == .table ? " or the name of a .csv file in the workers' table folder" : "")
            throw fail("'evaluator.dataset: \(datasetName)'"
                       + (dataset == nil ? " (the default)" : "") + " is not read by 'evaluator.kind: \(kind.rawValue)' (it reads \(known))")
        }
        let foreign = setKeys.subtracting(kind.keys)
        if !foreign.isEmpty {
            throw fail("\(foreign.sorted().map { "'evaluator.\($0)'" }.joined(separator: ", ")) not read by 'evaluator.kind: \(kind.rawValue)' "
                       + "(it reads \(kind.keys.sorted().joined(separator: ", ")))")
        }
        guard seconds.isFinite, seconds >= 0, seconds <= Self.longestSeconds else {
            throw fail("'evaluator.seconds' must be a number of seconds in 0…\(Self.longestSeconds), got \(seconds)")
        }
        guard failRate.isFinite, (0...1).contains(failRate) else { throw fail("'evaluator.fail_rate' must be in 0…1, got \(failRate)") }
        guard killGrace.isFinite, killGrace >= 0 else { throw fail("'evaluator.kill_grace' must be non-negative, got \(killGrace)") }
        guard killGrace <= Self.longestKillGrace else {
            throw fail("'evaluator.kill_grace' must be at most \(Self.longestKillGrace) seconds, got \(killGrace)")
        }
        for (key, text) in [("dataset", datasetName), ("data_dir", dataDirectory ?? "x"), ("trainer", trainer ?? "x")] {
            guard !text.isEmpty, text.utf8.count <= 4096 else { throw fail("'evaluator.\(key)' must be a non-empty string") }
        }
        try training.validate(space: space)
    }
}

/// A trainer's network and schedule as the study sets them; nil: the trainer's default.
public struct TrainingPlan: Sendable, Hashable {
    public var channels: Int?
    public var cells: Int?
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Double?
    /// Training images (0: all that remain after the validation split).
    public var trainLimit: Int?
    public var validationSize: Int?
    /// Test images evaluated at the end (0: none).
    public var testLimit: Int?
    public var augment: Bool?
    /// Cutout (DeVries & Taylor): the side of the square zeroed in each training image (0: none).
    public var cutout: Int?
    /// DARTS networks: the weight of the auxiliary head's loss (0: no auxiliary head).
    public var auxiliaryWeight: Double?
    /// DARTS networks: the drop-path probability reached at the last epoch (rising linearly from 0).
    public var dropPath: Double?

    public init() {}

    /// The YAML keys of these settings.
    public static let keys: Set<String> = ["channels", "cells", "epochs", "batch_size", "learning_rate", "train_limit",
                                           "validation_size", "test_limit", "augment", "cutout", "auxiliary_weight",
                                           "drop_path"]

    /// The integer settings by key.
    public var integers: [(key: String, value: Int?)] {
        [("channels", channels), ("cells", cells), ("epochs", epochs), ("batch_size", batchSize), ("train_limit", trainLimit),
         ("validation_size", validationSize), ("test_limit", testLimit), ("cutout", cutout)]
    }

    /// The real-valued settings by key.
    public var reals: [(key: String, value: Double?)] {
        [("learning_rate", learningRate), ("auxiliary_weight", auxiliaryWeight), ("drop_path", dropPath)]
    }

    public var setKeys: Set<String> {
        var keys = Set(integers.filter { $0.value != nil }.map(\.key))
        keys.formUnion(reals.filter { $0.value != nil }.map(\.key))
        if augment != nil { keys.insert("augment") }
        return keys
    }

    /// Ranges every trainer can honour (the Swift trainer's own limits included).
    public func validate() throws {
        func check(_ key: String, _ value: Int?, _ range: ClosedRange<Int>) throws {
            guard let value, !range.contains(value) else { return }
            throw ANASODError(.invalidSettings, "'evaluator.\(key)' must be in \(range.lowerBound)…\(range.upperBound), got \(value)")
        }
        try check("channels", channels, 1...512)
        try check("cells", cells, 1...32)
        try check("epochs", epochs, 1...100_000)
        try check("batch_size", batchSize, 2...65_536)  // batch norm needs two images
        try check("train_limit", trainLimit, 0...100_000_000)
        try check("validation_size", validationSize, 1...100_000_000)
        try check("test_limit", testLimit, 0...100_000_000)
        try check("cutout", cutout, 0...4096)
        if let rate = learningRate, !(rate.isFinite && rate > 0 && rate <= 100) {
            throw ANASODError(.invalidSettings, "'evaluator.learning_rate' must be a positive number, got \(rate)")
        }
        if let weight = auxiliaryWeight, !(weight.isFinite && weight >= 0 && weight <= 100) {
            throw ANASODError(.invalidSettings, "'evaluator.auxiliary_weight' must be a non-negative number, got \(weight)")
        }
        if let p = dropPath, !(p.isFinite && p >= 0 && p < 1) {
            throw ANASODError(.invalidSettings, "'evaluator.drop_path' must be in [0, 1), got \(p)")
        }
    }

    /// The checks that depend on the space: the auxiliary head and drop-path belong to DARTS networks, never
    /// to NB201's (a space of the user's own may have them: its trainer reads the keys).
    public func validate(space: String) throws {
        try validate()
        guard SpaceName(rawValue: space) == .nb201 else { return }
        for (key, value) in [("auxiliary_weight", auxiliaryWeight), ("drop_path", dropPath)] where (value ?? 0) != 0 {
            throw ANASODError(.invalidSettings, "'evaluator.\(key)' applies to DARTS networks only (this study's space is '\(space)')")
        }
    }
}

extension EvaluationSettings {
    /// The settings as text, by YAML key (without the `evaluator.` prefix): `kind`, `dataset`, `seconds`
    /// and `fail_rate` always, the others when set. What the journal compares on resume and what an
    /// external trainer finds in its job's `settings`.
    public var textFields: [String: String] {
        var fields = ["kind": kind.rawValue, "dataset": datasetName, "seconds": String(seconds), "fail_rate": String(failRate)]
        for (key, value) in training.integers { if let value { fields[key] = String(value) } }
        for (key, value) in training.reals { if let value { fields[key] = String(value) } }
        if let v = training.augment { fields["augment"] = String(v) }
        if let v = dataDirectory { fields["data_dir"] = v }
        if killGrace != Self.defaultKillGrace { fields["kill_grace"] = String(killGrace) }
        if let v = amp { fields["amp"] = String(v) }
        if let v = trainer { fields["trainer"] = v }
        if device != .any { fields["device"] = device.rawValue }
        return fields
    }
}
