import ANASOD
import Foundation
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
/// measure's range over an encoding is a single value and whole encodings are ruled out at once. Known for DARTS
/// with the Swift trainer (its network on Fashion-MNIST, `DARTSMeasures`: an encoding's range spans where its
/// operations sit), and for a space of one's own that defines them (`space.measures`, additive over the slots).
public enum StudyMeasures {
    /// The measures known before training a constraint or an objective may name (those measured in evaluation,
    /// `Metrics.measuredNames`, a constraint may name too).
    public static let names = ["params", "flops"]

    /// The feasibility of the study's constraints (unconstrained without any).
    /// - Throws: `ClusterError.invalidConfiguration` when the study's space and evaluator give no such measure.
    public static func feasibility(for c: StudyConfiguration) throws -> Feasibility {
        guard !c.constraints.isEmpty else { return .unconstrained }
        try checkNames(c)
        let measuredInEvaluation = Set(c.constraints.map(\.measure).filter { isMeasuredInEvaluation($0, in: c) })
        do {
            guard c.constraints.contains(where: { !measuredInEvaluation.contains($0.measure) }) else {
                // Only limits measured in evaluation: any space, nothing to compute before training.
                return try Feasibility(constraints: c.constraints, measures: [:], measuredInEvaluation: measuredInEvaluation)
            }
            let measures = try self.measures(for: c)
            guard c.space.builtIn == .nb201 else {
                // A space's own measures depend on the operation counts alone: an encoding is feasible or not.
                return try Feasibility(constraints: c.constraints, measures: measures, measuredInEvaluation: measuredInEvaluation)
            }
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

    /// The measures this study computes before training: NB201's parameters and FLOPs (of the network the Swift
    /// trainer or a table stands for), or what the user's space defines (`space.measures`).
    public static func knownNames(for c: StudyConfiguration) -> [String] {
        if let defined = c.space.definition { return defined.measures.keys.sorted() }
        if c.space.builtIn == .nb201 && (c.evaluator.kind == .trainer || c.evaluator.kind == .table) { return names }
        if c.space.builtIn == .darts && c.evaluator.kind == .trainer { return names }
        return []
    }

    /// Whether the trainer measures `name` in this study (`latency_ms`, `memory_mb`), rather than the space
    /// computing it before training (a space may define a latency look-up table of its own).
    public static func isMeasuredInEvaluation(_ name: String, in c: StudyConfiguration) -> Bool {
        Metrics.measuredNames.contains(name) && !knownNames(for: c).contains(name)
    }

    /// Refuses a constraint or an objective on a measure this study has no way to know: one the space and the
    /// evaluator cannot compute before training, or one its evaluator does not report (every result would break
    /// the limit, or have no place on the front).
    /// - Throws: `ClusterError.invalidConfiguration` naming the key.
    static func checkNames(_ c: StudyConfiguration) throws {
        let known = knownNames(for: c), reported = measuredInEvaluation(by: c.evaluator.kind)
        let asked = c.constraints.map { ("objective.constraints.\($0.measure)", $0.measure) } + c.objectives.map { ("objective.minimize", $0) }
        for (key, measure) in asked where !known.contains(measure) {
            if Metrics.measuredNames.contains(measure) {
                guard !reported.contains(measure) else { continue }
                let kind = c.evaluator.kind.rawValue
                throw ClusterError(.invalidConfiguration, "'\(key)': evaluator kind '\(kind)' "
                                   + (reported.isEmpty ? "measures nothing beside the error"
                                      : "reports \(reported.joined(separator: ", ")), not \(measure)")
                                   + "; an external trainer reports it in its result line (cluster/TRAINER.md)"
                                   + (c.evaluator.kind == .table ? ", and `anasod bench --runs … --measured latency_ms` simulates such a limit on the NB201 runs table" : ""))
            }
            if names.contains(measure) && c.space.builtIn == .nb201 {
                _ = try nb201Network(for: c)  // says why this evaluator's networks are not known
            }
            let computed = known.isEmpty ? "computes nothing before training" : "computes \(known.joined(separator: ", ")) before training"
            throw ClusterError(.invalidConfiguration, "'\(key)': no measure '\(measure)': this study (space '\(c.space.name)', "
                               + "evaluator '\(c.evaluator.kind.rawValue)') \(computed) ("
                               + "nb201 its networks' params and flops with a trainer or table evaluator, a space of your own what "
                               + "its 'space.measures' define), and trainers measure \(Metrics.measuredNames.joined(separator: ", "))")
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
        let known = c.objectives.filter { !isMeasuredInEvaluation($0, in: c) }
        guard !known.isEmpty else { return [] }
        let measures = try self.measures(for: c)
        return try known.map { name in
            // A stored configuration (a journal's) is read without `validate()`: an unknown name is an error, not a trap.
            guard let measure = measures[name] else {
                throw ClusterError(.invalidConfiguration, "'objective.minimize': no measure '\(name)' in this study (space '\(c.space.name)', "
                                   + "evaluator '\(c.evaluator.kind.rawValue)')")
            }
            return (name, measure)
        }
    }

    /// The study's objectives after the validation error that each result carries (`latency_ms`, `memory_mb`).
    public static func measuredObjectives(for c: StudyConfiguration) -> [String] {
        c.objectives.filter { isMeasuredInEvaluation($0, in: c) }
    }

    /// The Swift trainer's DARTS network at the study's channels and cells on Fashion-MNIST; nil for another study.
    static func dartsMeasures(for c: StudyConfiguration) throws -> DARTSMeasures? {
        guard c.space.builtIn == .darts, c.evaluator.kind == .trainer else { return nil }
        let settings = try TrainingSettings(plan: c.evaluator.training)
        return DARTSMeasures.shared(channels: settings.channels, layers: settings.cellsPerStage, inputChannels: 1,
                                    classes: 10, side: IDXLoader.fashionMNISTSide)
    }

    static func measures(for c: StudyConfiguration) throws -> [String: Feasibility.Measure] {
        if let defined = c.space.definition {
            // Additive over the slots: one value per encoding, so the range is that value.
            return defined.measures.mapValues { m in
                Feasibility.Measure(value: { m.value(of: $0) }, range: { counts in let v = m.value(counts: counts); return v...v })
            }
        }
        if let darts = try dartsMeasures(for: c) {
            return ["params": darts.measure(darts.params), "flops": darts.measure(darts.flops)]
        }
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
        /// Cells (a Double: a space of one's own may hold 10¹² and more).
        public var feasibleCells: Double
        public var cells: Double
        public var feasibleEncodings: Int
        public var encodings: Int
        public var smallest: [String: Double]
        /// Counted from a sample of cells (DARTS: 10¹⁸ of them); `feasibleEncodings` is then not known.
        public var sampled: Int? = nil
        /// Where the count is sampled: false when a limit is out of the measure's reach (its least and greatest
        /// value in the space, exact) or when no sampled cell keeps to them all (cells rarer than that are as good
        /// as none: the strategies draw cells too).
        public var satisfiable: Bool? = nil

        public var anyFeasible: Bool { satisfiable ?? (feasibleCells > 0) }

        /// `params <= 500000: 3945 of 15625 cells (25.2 %), 61 of 210 encodings`.
        public var summary: String {
            func count(_ v: Double) -> String { v < 1e9 ? String(format: "%.0f", v) : String(format: "%.3g", v) }
            if let sampled {
                return String(format: "about %.1f %% of %@ cells (a sample of %d)", 100 * feasibleCells / max(cells, 1), count(cells), sampled)
            }
            return "\(count(feasibleCells)) of \(count(cells)) cells " + String(format: "(%.1f %%)", 100 * feasibleCells / max(cells, 1))
                + ", \(feasibleEncodings) of \(encodings) encodings"
        }
    }

    /// Counts the feasible cells of the study's space: NB201's one by one, a space of one's own encoding by encoding
    /// (its measures are the same for every cell of an encoding); nil without constraints known before training,
    /// and for a space of more than a million encodings.
    public static func extent(for c: StudyConfiguration, feasibility: Feasibility) -> Extent? {
        guard feasibility.isConstrained else { return nil }
        if let defined = c.space.definition {
            guard defined.encodingCount <= 1_000_000 else { return nil }
            var extent = Extent(feasibleCells: 0, cells: 0, feasibleEncodings: 0, encodings: 0, smallest: [:])
            for counts in defined.allEncodingCounts() {
                let cells = defined.architectureCount(counts: counts)
                extent.cells += cells
                extent.encodings += 1
                if feasibility.mayHold(counts: counts) {
                    extent.feasibleCells += cells
                    extent.feasibleEncodings += 1
                }
                for constraint in feasibility.constraints {
                    guard let value = defined.measures[constraint.measure]?.value(counts: counts) else { continue }
                    extent.smallest[constraint.measure] = min(extent.smallest[constraint.measure] ?? .infinity, value)
                }
            }
            return extent
        }
        if let darts = try? dartsMeasures(for: c) {
            // 180² connectivity patterns × 7¹⁶ operation choices: counted from a seeded sample of uniform cells; the
            // least and greatest values are exact (DARTSMeasures.extremes).
            let space = DARTSSearchSpace()
            var rng = SeededGenerator(seed: 0xDA575)
            let sample = 20_000
            var feasible = 0
            for _ in 0..<sample where feasibility.allows(space.randomArchitecture(using: &rng)) { feasible += 1 }
            let cells = pow(space.connectivityPatterns, 2) * pow(Double(space.operationCount), Double(2 * space.slotsPerCell))
            var extent = Extent(feasibleCells: cells * Double(feasible) / Double(sample), cells: cells, feasibleEncodings: 0,
                                encodings: space.encodingCount, smallest: [:], sampled: sample, satisfiable: true)
            for constraint in feasibility.constraints {
                let table = constraint.measure == "params" ? darts.params : darts.flops
                let extremes = darts.extremes(table)
                extent.smallest[constraint.measure] = extremes.lowerBound
                if !constraint.mayHold(in: extremes) { extent.satisfiable = false }
            }
            if feasible == 0 { extent.satisfiable = false }
            return extent
        }
        guard c.space.builtIn == .nb201 else { return nil }
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
        return Extent(feasibleCells: Double(feasible), cells: Double(NB201SearchSpace.cellCount), feasibleEncodings: open.count,
                      encodings: encodings.count, smallest: smallest)
    }
}
