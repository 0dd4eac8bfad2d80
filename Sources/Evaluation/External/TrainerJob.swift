import ANASOD
import Foundation

/// What an external trainer is told about one job (`cluster/TRAINER.md`): written as JSON to
/// `<work_dir>/job.json` (its path in `$ANASOD_JOB_FILE`) and on the trainer's standard input.
public struct TrainerJob: Codable, Hashable, Sendable {
    /// The trainer protocol's version (this is version 1).
    public var protocolVersion = 1
    public var study: String
    public var job: UInt64
    public var attempt: Int
    /// The search space (`nb201`, `darts`, …) and the architecture string in its notation.
    public var space: String
    public var architecture: String
    /// For NB201: the six edge operations in arch-string order (`nor_conv_3x3`, `skip_connect`, …).
    public var operations: [String]?
    /// For DARTS: the genotype, `{"normal": [[op, source], …8], "reduce": […]}` in node order (node i's two
    /// edges are entries 2i and 2i + 1; sources 0, 1 are the cell's inputs, k ≥ 2 node k − 2).
    public var genotype: [String: [Edge]]?
    /// For every space: each cell type's slots as plain structures, `{"cell": [{"op", "source", "target"}, …]}`
    /// (a chain's slot i reads node i and feeds node i + 1).
    public var slots: [String: [Slot]]?
    /// For a user-defined space: its definition (`SlotSearchSpace.definition`: name, operations, slots,
    /// cell_types, wiring), so a trainer can check the space is the one it builds.
    public var spaceDefinition: JSONValue?
    /// The operation distribution(s) the strategy chose, one per cell type.
    public var encoding: [[Double]]
    /// The training seed of this attempt.
    public var seed: UInt64
    /// The data set, by name (`fashion-mnist`, `cifar10`): never a path. Where its files are is the
    /// trainer's own configuration on the worker (`--data-dir`, `$ANASOD_DATA_DIR`), never the job's.
    public var dataset: String
    /// Network and schedule (nil: the trainer's defaults).
    public var channels: Int?
    public var cells: Int?
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Double?
    public var trainLimit: Int?
    public var validationSize: Int?
    public var testLimit: Int?
    public var augment: Bool?
    /// Cutout's square side, the auxiliary head's loss weight and the last epoch's drop-path probability.
    public var cutout: Int?
    public var auxiliaryWeight: Double?
    public var dropPath: Double?
    /// Mixed precision on the GPU (nil: the trainer's default).
    public var amp: Bool?
    /// Every setting of the study's `evaluator` section, as text (for trainers with keys of their own).
    public var settings: [String: String]
    /// A folder of this attempt's own, for checkpoints and logs; it already exists.
    public var workDirectory: String
    /// The GPU this job may use (its `CUDA_VISIBLE_DEVICES` value), nil on a CPU slot.
    public var device: String?
    /// Seconds since 1970 by which the result must be printed; past it the process group is killed.
    public var deadline: Double

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", study, job, attempt, space, architecture, operations, encoding, seed, dataset
        case channels, cells, epochs, batchSize = "batch_size", learningRate = "learning_rate"
        case trainLimit = "train_limit", validationSize = "validation_size", testLimit = "test_limit", augment, amp, settings
        case workDirectory = "work_dir", device, deadline, genotype, cutout, auxiliaryWeight = "auxiliary_weight"
        case dropPath = "drop_path", slots, spaceDefinition = "space_definition"
    }

    /// One slot of a cell: its operation, the node it reads and the node it feeds.
    public struct Slot: Codable, Hashable, Sendable {
        public var op: String
        public var source: Int
        public var target: Int

        public init(op: String, source: Int, target: Int) {
            self.op = op
            self.source = source
            self.target = target
        }
    }

    /// One edge of a DARTS genotype: `[operation, source]` in JSON.
    public struct Edge: Codable, Hashable, Sendable {
        public var operation: String
        public var source: Int

        public init(operation: String, source: Int) {
            self.operation = operation
            self.source = source
        }

        public init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            operation = try c.decode(String.self)
            source = try c.decode(Int.self)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(operation)
            try c.encode(source)
        }
    }

    /// The job for `architecture` (parsed: `cell`) with the study's evaluation settings; `settings` holds
    /// them as text too (for trainers with keys of their own).
    public init(study: String, job: UInt64, attempt: Int, space: any SearchSpace, architecture: String, cell: Architecture,
                encoding: [[Double]], seed: UInt64, evaluation: EvaluationSettings, workDirectory: String, device: String?,
                deadline: Double) {
        self.study = study
        self.job = job
        self.attempt = attempt
        self.space = space.name
        self.architecture = architecture
        // Every space: the cell as plain slots, from its definition.
        if let definition = space.slotSpace, cell.cells.count == definition.cellTypes.count {
            var slots = [String: [Slot]]()
            for (type, cellSlots) in zip(definition.cellTypes, definition.slots(of: cell)) {
                slots[type] = cellSlots.map { Slot(op: $0.operation, source: $0.source, target: $0.target) }
            }
            self.slots = slots
        }
        switch space {
        case is NB201SearchSpace:
            operations = cell.cells.first.map { $0.operations.map { NB201SearchSpace.operationNames[$0] } }
        case is DARTSSearchSpace:
            guard cell.cells.count == 2 else { break }
            var genotype = [String: [Edge]]()
            for (name, c) in zip(DARTSSearchSpace().cellTypes, cell.cells) {
                genotype[name] = zip(c.operations, c.inputs).map { Edge(operation: DARTSSearchSpace.operationNames[$0], source: $1) }
            }
            self.genotype = genotype
        case let defined as SlotSearchSpace:
            spaceDefinition = JSONValue(defined.definition)
        default:
            break  // a space of the trainer's own: it reads `architecture`
        }
        self.encoding = encoding
        self.seed = seed
        dataset = evaluation.datasetName
        let plan = evaluation.training
        channels = plan.channels
        cells = plan.cells
        epochs = plan.epochs
        batchSize = plan.batchSize
        learningRate = plan.learningRate
        trainLimit = plan.trainLimit
        validationSize = plan.validationSize
        testLimit = plan.testLimit
        augment = plan.augment
        cutout = plan.cutout
        auxiliaryWeight = plan.auxiliaryWeight
        dropPath = plan.dropPath
        amp = evaluation.amp
        var text = evaluation.textFields
        text["kind"] = nil
        text["data_dir"] = nil  // a location is never the job's to give (workers refuse jobs that carry one)
        settings = text
        self.workDirectory = workDirectory
        self.device = device
        self.deadline = deadline
    }

    /// One line of JSON, keys sorted.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
