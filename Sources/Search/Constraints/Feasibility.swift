import ANASOD

/// Which cells a study may train (issue 30): constraints on measures known before training, such as
/// parameters and FLOPs, which the space (or a benchmark's table) computes from the architecture alone.
/// Strategies propose feasible cells only (`StrategyHistory.isAvailable`), so an infeasible cell never costs a
/// GPU-second; for ANASOD that means feasible encodings (`mayHold(counts:)`) and feasible cells within them.
public struct Feasibility: Sendable {
    /// A measure of a cell, and (where it can say) the range it takes over the cells of an encoding: what rules
    /// out whole encodings before any cell of them is drawn.
    public struct Measure: Sendable {
        public var value: @Sendable (Architecture) -> Double
        public var range: (@Sendable ([[Int]]) -> ClosedRange<Double>?)?

        public init(value: @escaping @Sendable (Architecture) -> Double,
                    range: (@Sendable ([[Int]]) -> ClosedRange<Double>?)? = nil) {
            self.value = value
            self.range = range
        }
    }

    public let constraints: [Constraint]
    /// Constraints on measures known only once a cell is evaluated (latency measured by the worker, memory):
    /// no cell can be ruled out before training. ANASOD-BO models the probability that a cell keeps to them and
    /// multiplies its acquisition by it (Gardner et al. 2014); a result that breaks one (or lacks its measure) is
    /// kept, marked, and never the incumbent, the best seen or the recommendation (`StrategyHistory`).
    public private(set) var outcomeConstraints: [Constraint] = []
    let measures: [String: Measure]
    /// How many feasible cells each encoding holds, where the space could be enumerated (`counting(_:space:)`).
    var feasibleCells: [[[Int]]: Double]?

    /// No constraint: every cell is feasible.
    public static let unconstrained = Feasibility()

    private init() {
        constraints = []
        measures = [:]
    }

    /// - Parameter measuredInEvaluation: measures known only after evaluation: constraints on them become
    ///   `outcomeConstraints`.
    /// - Throws: `SearchError.invalidConfiguration` naming a constraint whose measure is neither among `measures`
    ///   nor measured in evaluation.
    public init(constraints: [Constraint], measures: [String: Measure], measuredInEvaluation: Set<String> = []) throws {
        var before = [Constraint]()
        for c in constraints {
            if measures[c.measure] != nil {
                before.append(c)
            } else if measuredInEvaluation.contains(c.measure) {
                outcomeConstraints.append(c)
            } else {
                throw SearchError(.invalidConfiguration, "constraint on '\(c.measure)': no such measure; known before training: "
                                  + "\(measures.keys.sorted().joined(separator: ", "))"
                                  + (measuredInEvaluation.isEmpty ? "" : "; measured in evaluation: \(measuredInEvaluation.sorted().joined(separator: ", "))"))
            }
        }
        self.constraints = before
        self.measures = measures
    }

    /// Whether constraints known before training restrict proposals.
    public var isConstrained: Bool { !constraints.isEmpty }

    /// Whether there is anything for a strategy to keep to: constraints before training or after evaluation.
    public var isActive: Bool { !constraints.isEmpty || !outcomeConstraints.isEmpty }

    /// The constraints known only after evaluation that a result with measures `measured` breaks; a measure the
    /// result lacks counts as broken (a result that cannot show it keeps to a limit is not claimed feasible).
    public func outcomeViolations(_ measured: [String: Double]) -> [Constraint] {
        outcomeConstraints.filter { c in measured[c.measure].map { !c.holds(for: $0) } ?? true }
    }

    /// The same, with every encoding's feasible cells counted from `cells` (all the cells of a small space, such as
    /// NB201's 15,625): strategies then know exactly when an encoding's feasible cells are all taken.
    public func counting(_ cells: some Sequence<Architecture>, space: any SearchSpace) -> Feasibility {
        guard isConstrained else { return self }
        var counted = [[[Int]]: Double]()
        for cell in cells {
            let counts = space.counts(of: cell)
            if allows(cell) { counted[counts, default: 0] += 1 } else if counted[counts] == nil { counted[counts] = 0 }
        }
        var out = self
        out.feasibleCells = counted
        return out
    }

    /// The feasible cells of the encoding `counts`, where they were counted.
    public func feasibleCellCount(counts: [[Int]]) -> Double? { feasibleCells.map { $0[counts] ?? 0 } }

    /// Whether `architecture` keeps to every constraint.
    public func allows(_ architecture: Architecture) -> Bool {
        constraints.allSatisfy { $0.holds(for: measures[$0.measure]!.value(architecture)) }
    }

    /// The constraints `architecture` breaks (empty when feasible).
    public func violations(of architecture: Architecture) -> [Constraint] {
        constraints.filter { !$0.holds(for: measures[$0.measure]!.value(architecture)) }
    }

    /// Whether some cell with op counts `counts` may be feasible: false only when one constraint rules out the
    /// whole range a measure takes over the encoding (measures that cannot say leave every encoding open).
    public func mayHold(counts: [[Int]]) -> Bool {
        for c in constraints {
            guard let range = measures[c.measure]!.range?(counts) else { continue }
            if !c.mayHold(in: range) { return false }
        }
        return true
    }
}
