import ANASOD
import Search

extension StudyConfiguration {
    /// The study's strategy: `list` from its `architectures`, any other by name.
    /// - Throws: `ClusterError.invalidConfiguration` for an architecture that is not a cell of the space,
    ///   `architectures` without `strategy: list` or the reverse.
    public func makeStrategy(space: any SearchSpace) throws -> any SearchStrategy {
        func fail(_ m: String) -> ClusterError { ClusterError(.invalidConfiguration, m) }
        guard strategy.name == .list else {
            guard architectures.isEmpty else { throw fail("'architectures' is read only by 'strategy: list' (this study's is '\(strategy)')") }
            let feasibility = try StudyMeasures.feasibility(for: self)
            var made: any SearchStrategy
            do {
                made = try StrategyFactory.make(strategy, space: space, seed: seed, budget: budget,
                                                deterministic: evaluator.kind.isDeterministic)
            } catch {
                throw fail("'strategy: \(strategy)': \(error)")
            }
            let objectives = try StudyMeasures.objectives(for: self), measured = StudyMeasures.measuredObjectives(for: self)
            if !objectives.isEmpty || !measured.isEmpty {
                let (choice, space, seed, budget, deterministic) = (strategy, space, seed, budget, evaluator.kind.isDeterministic)
                made = try MultiObjectiveStrategy.make(name: strategy.description, seed: seed, measures: objectives,
                                                       measured: measured) {
                    try StrategyFactory.make(choice, space: space, seed: seed, budget: budget, deterministic: deterministic)
                }
            }
            if feasibility.isActive { made.constrain(to: feasibility) }
            return made
        }
        guard !architectures.isEmpty else { throw fail("'strategy: list' needs 'architectures': the cells to evaluate") }
        let cells = try architectures.enumerated().map { i, text -> Architecture in
            do {
                let a = try space.parse(text)
                try space.validate(a)
                return a
            } catch {
                throw fail("'architectures[\(i)]' is not a \(space.name) cell: \(error)")
            }
        }
        // A listed cell outside the constraints is refused, not skipped in silence.
        let feasibility = try StudyMeasures.feasibility(for: self)
        for (i, cell) in cells.enumerated() where feasibility.isConstrained && !feasibility.allows(cell) {
            throw fail("'architectures[\(i)]' breaks 'objective.constraints': "
                       + feasibility.violations(of: cell).map(\.description).joined(separator: ", "))
        }
        return ListStrategy(space: space, seed: seed, architectures: cells)
    }
}
