import ANASOD
import Evaluation
import Search
import Trainer

/// What a study knows of a cell before training it (issue 30): the parameters and FLOPs of the network its
/// evaluator trains, computed by building that network, so that constraints on them (`objective.constraints`)
/// rule cells out before any GPU-second is spent.
///
/// Known for NB201: with the Swift trainer, its network at the study's `channels` and `cells` on Fashion-MNIST
/// (1 × 28 × 28, 10 classes); with a table, the benchmark's own network (C = 16, N = 5, 3 × 32 × 32, the data
/// set's classes). An NB201 cell's size and FLOPs depend only on how many 3×3 and 1×1 convolutions it has, so a
/// measure's range over an encoding is a single value and whole encodings are ruled out at once.
public enum StudyMeasures {
    /// The measures known before training a constraint or an objective may name (those measured in evaluation,
    /// `Metrics.measuredNames`, a constraint may name too).
    public static let names = ["params", "flops"]

    /// The feasibility of the study's constraints (unconstrained without any).
    /// - Throws: `ClusterError.invalidConfiguration` when the study's space and evaluator give no such measure.
    public static func feasibility(for c: StudyConfiguration) throws -> Feasibility {
        guard !c.constraints.isEmpty else { return .unconstrained }
        try checkMeasuredInEvaluation(c)
        let measuredInEvaluation = Set(c.constraints.map(\.measure)).intersection(Metrics.measuredNames)
        do {
            guard c.constraints.contains(where: { names.contains($0.measure) }) else {
                // Only limits measured in evaluation: any space, nothing to compute before training.
                return try Feasibility(constraints: c.constraints, measures: [:], measuredInEvaluation: measuredInEvaluation)
            }
            let measures = try self.measures(for: c)
            // NB201's cells are few: each encoding's feasible ones are counted once.
            let space = NB201SearchSpace()
            return try Feasibility(constraints: c.constraints, measures: measures, measuredInEvaluation: measuredInEvaluation)
                .counting((0..<NB201SearchSpace.cellCount).lazy.map(space.architecture(at:)), space: space)
        } catch let error as SearchError {
            throw ClusterError(.invalidConfiguration, "'objective.constraints': \(error.message)")
        }
    }

    /// What each evaluator kind measures beside the error: the Swift trainer times one image's forward pass
    /// (it shares the worker's process, so it has no memory of its own to report); an external trainer reports
    /// what it measures (cluster/TRAINER.md); a table and the synthetic evaluator measure nothing.
    public static func measuredInEvaluation(by kind: EvaluationSettings.Kind) -> [String] {
        switch kind {
        case .trainer: ["latency_ms"]
        case .external: Metrics.measuredNames
        case .table, .synthetic: []
        }
    }

    /// Refuses a limit on (or an objective of) a measure the study's evaluator does not report: every result would
    /// break it (or have no place on the front).
    /// - Throws: `ClusterError.invalidConfiguration` naming the measure and the evaluator.
    static func checkMeasuredInEvaluation(_ c: StudyConfiguration) throws {
        let reported = measuredInEvaluation(by: c.evaluator.kind)
        let asked = c.constraints.map { ("objective.constraints.\($0.measure)", $0.measure) }
            + c.objectives.map { ("objective.minimize", $0) }
        for (key, measure) in asked where Metrics.measuredNames.contains(measure) && !reported.contains(measure) {
            let kind = c.evaluator.kind.rawValue
            throw ClusterError(.invalidConfiguration, "'\(key)': evaluator kind '\(kind)' "
                               + (reported.isEmpty ? "measures nothing beside the error"
                                  : "reports \(reported.joined(separator: ", ")), not \(measure)")
                               + "; an external trainer reports it in its result line (cluster/TRAINER.md)"
                               + (c.evaluator.kind == .table ? ", and `anasod bench --runs … --measured latency_ms` simulates such a limit on the NB201 runs table" : ""))
        }
    }

    /// The network every NB201 cell of this study is trained in: (channels, cells a stage, input channels, classes,
    /// image side).
    static func nb201Network(for c: StudyConfiguration) throws -> (channels: Int, cells: Int, input: Int, classes: Int, side: Int) {
        switch c.evaluator.kind {
        case .trainer:
            let settings = try TrainingSettings(plan: c.evaluator.training)
            return (settings.channels, settings.cellsPerStage, 1, 10, IDXLoader.fashionMNISTSide)
        case .table:
            let classes = ["cifar10": 10, "cifar100": 100]
            guard let k = classes[c.evaluator.datasetName] else {
                throw ClusterError(.invalidConfiguration, "'objective': the size of the networks behind the table "
                                   + "'\(c.evaluator.datasetName)' is not known (known: cifar10, cifar100)")
            }
            return (16, 5, 3, k, 32)
        case .synthetic, .external:
            throw ClusterError(.invalidConfiguration, "'objective': the coordinator knows the size of the networks "
                               + "that evaluator kinds trainer and table train, not '\(c.evaluator.kind.rawValue)' ones "
                               + "(an external trainer's network is its own)")
        }
    }

    /// The study's objectives after the validation error, as measures (empty with one objective).
    /// - Throws: `ClusterError.invalidConfiguration` when the study's space and evaluator give no such measure.
    public static func objectives(for c: StudyConfiguration) throws -> [(name: String, measure: Feasibility.Measure)] {
        let known = c.objectives.filter(names.contains)
        guard !known.isEmpty else { return [] }
        let measures = try self.measures(for: c)
        return known.map { ($0, measures[$0]!) }
    }

    /// The study's objectives after the validation error that each result carries (`latency_ms`, `memory_mb`).
    public static func measuredObjectives(for c: StudyConfiguration) -> [String] {
        c.objectives.filter(Metrics.measuredNames.contains)
    }

    static func measures(for c: StudyConfiguration) throws -> [String: Feasibility.Measure] {
        guard c.space.builtIn == .nb201 else {
            throw ClusterError(.invalidConfiguration, "'objective': measures known before training (\(names.joined(separator: ", "))) "
                               + "are computed for the nb201 space; '\(c.space.name)' is not supported yet")
        }
        let n = try nb201Network(for: c)
        let space = NB201SearchSpace()
        let conv3 = NB201SearchSpace.operationNames.firstIndex(of: "nor_conv_3x3")!
        let conv1 = NB201SearchSpace.operationNames.firstIndex(of: "nor_conv_1x1")!
        let skip = NB201SearchSpace.operationNames.firstIndex(of: "skip_connect")!
        // One network per (3×3, 1×1) pair: the convolutions first, the other edges skips.
        var params = [[Double]](repeating: [Double](repeating: 0, count: 7), count: 7)
        var flops = params
        var rng = SplitMix(state: 0)
        for a in 0...6 {
            for b in 0...(6 - a) {
                let ops = Array(repeating: conv3, count: a) + Array(repeating: conv1, count: b) + Array(repeating: skip, count: 6 - a - b)
                let network = NB201Network(operations: ops, channels: n.channels, cellsPerStage: n.cells, inputChannels: n.input,
                                           classes: n.classes, rng: &rng)
                params[a][b] = Double(network.parameterCount)
                flops[a][b] = Double(2 * network.multiplyAccumulates(h: n.side, w: n.side))
            }
        }
        // The Swift trainer builds no layer on an edge whose source node nothing reaches (NB201Cell), the
        // benchmark's network counts every edge: what a cell costs is its (live) 3×3 and 1×1 convolutions.
        let prunes = c.evaluator.kind == .trainer
        @Sendable func pair(_ ops: [Int]) -> (Int, Int) {
            var live = [true, false, false, false]
            var a = 0, b = 0
            for (e, op) in ops.enumerated() {
                let on = !prunes || live[NB201Cell.sources[e]]
                if op != 0 && live[NB201Cell.sources[e]] { live[NB201Cell.targets[e]] = true }
                if on && op == conv3 { a += 1 }
                if on && op == conv1 { b += 1 }
            }
            return (a, b)
        }
        // Every cell's pair, and each encoding's range of values, once (15,625 cells).
        var pairs = [(Int, Int)]()
        pairs.reserveCapacity(NB201SearchSpace.cellCount)
        var byEncoding = [[[Int]]: Set<[Int]>]()
        for index in 0..<NB201SearchSpace.cellCount {
            let arch = space.architecture(at: index)
            let p = pair(arch.cells[0].operations)
            pairs.append(p)
            byEncoding[space.counts(of: arch), default: []].insert([p.0, p.1])
        }
        let cellPairs = pairs, encodingPairs = byEncoding
        func measure(_ table: [[Double]]) -> Feasibility.Measure {
            var ranges = [[[Int]]: ClosedRange<Double>]()
            for (counts, set) in encodingPairs {
                let values = set.map { table[$0[0]][$0[1]] }
                ranges[counts] = values.min()!...values.max()!
            }
            let byCounts = ranges
            return Feasibility.Measure(value: { arch in
                let (a, b) = cellPairs[space.index(of: arch)]
                return table[a][b]
            }, range: { byCounts[$0] })
        }
        return ["params": measure(params), "flops": measure(flops)]
    }
}

extension StudyMeasures {
    /// How much of the space the study's constraints leave: feasible cells and encodings out of all, and the
    /// smallest value of each constrained measure (what a bound must at least allow).
    public struct Extent: Sendable {
        public var feasibleCells: Int
        public var cells: Int
        public var feasibleEncodings: Int
        public var encodings: Int
        public var smallest: [String: Double]

        /// `params <= 500000: 3945 of 15625 cells (25.2 %), 61 of 210 encodings`.
        public var summary: String {
            String(format: "%d of %d cells (%.1f %%), %d of %d encodings", feasibleCells, cells,
                   100 * Double(feasibleCells) / Double(max(cells, 1)), feasibleEncodings, encodings)
        }
    }

    /// Counts the feasible cells of the study's (NB201) space one by one; nil without constraints.
    public static func extent(for c: StudyConfiguration, feasibility: Feasibility) -> Extent? {
        guard feasibility.isConstrained, c.space.builtIn == .nb201 else { return nil }
        let space = NB201SearchSpace()
        var feasible = 0
        var encodings = Set<[[Int]]>(), open = Set<[[Int]]>()
        var smallest = [String: Double]()
        let measures = (try? self.measures(for: c)) ?? [:]
        for index in 0..<NB201SearchSpace.cellCount {
            let arch = space.architecture(at: index)
            let counts = space.counts(of: arch)
            encodings.insert(counts)
            if feasibility.allows(arch) {
                feasible += 1
                open.insert(counts)
            }
            for constraint in feasibility.constraints {
                guard let value = measures[constraint.measure]?.value(arch) else { continue }
                smallest[constraint.measure] = min(smallest[constraint.measure] ?? .infinity, value)
            }
        }
        return Extent(feasibleCells: feasible, cells: NB201SearchSpace.cellCount, feasibleEncodings: open.count,
                      encodings: encodings.count, smallest: smallest)
    }
}
