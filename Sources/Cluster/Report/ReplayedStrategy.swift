import ANASOD
import Journal
import Search

/// A study's strategy rebuilt from its journal exactly as a resume rebuilds it: the strategy the stored
/// configuration names (`StudyConfiguration.makeStrategy`), given the events `CoordinatorState.restore`
/// derives from the journal (`SearchStrategy.replay`). Its state, surrogate included (the same refit
/// schedule, the same warping), is the one the coordinator's strategy had after the journal's last record.
struct ReplayedStrategy: Sendable {
    let strategy: any SearchStrategy
    let space: any SearchSpace

    /// - Throws: `ClusterError` when the stored configuration cannot be read or names a space or strategy
    ///   this build does not know, or the journal holds cells of another space.
    init(study: StudyRecord, replay: JournalReplay) throws {
        let configuration = try StudyConfiguration(storedSearch: try StudyConfiguration.storedDefinition(study.configuration),
                                                   study: study.id)
        space = configuration.space.space
        var strategy = try configuration.makeStrategy(space: space)
        var state = CoordinatorState(configuration: configuration, space: space)
        strategy.replay(try state.restore(from: replay))
        self.strategy = strategy
    }
}

extension StudyConfiguration {
    /// The search a journal's stored definition (`searchDefinition`, as `storedDefinition` reads it)
    /// describes: the keys that decide the strategy and the jobs; operational settings keep their defaults.
    /// - Throws: `ClusterError.resume` naming a key whose value this build cannot read.
    init(storedSearch definition: [String: String], study: String) throws {
        self.init(study: study)
        func fail(_ key: String) -> ClusterError {
            ClusterError(.resume, "the journal's stored '\(key)' (\(definition[key] ?? "")) is not one this build reads")
        }
        if let v = definition["space"] {
            guard let stored = try? StudySpace(stored: v) else { throw fail("space") }
            space = stored
        }
        if let v = definition["strategy"] {
            do {
                strategy = try StrategyChoice(parsing: v)
            } catch {
                throw fail("strategy")
            }
        }
        if let v = definition["evaluator.kind"] {
            // It decides whether `anasod-bo-2s` retrains (`StrategyFactory.make(deterministic:)`).
            guard let kind = EvaluationSettings.Kind(rawValue: v) else { throw fail("evaluator.kind") }
            evaluator.kind = kind
        }
        // What the measures of `objective` depend on (the network's size and data): the dataset and the sizes.
        if let v = definition["evaluator.dataset"] { evaluator.dataset = v }
        let sizes: [(String, WritableKeyPath<TrainingPlan, Int?>)] = [("channels", \.channels), ("cells", \.cells), ("epochs", \.epochs)]
        for (key, path) in sizes {
            guard let v = definition["evaluator.\(key)"] else { continue }
            guard let n = Int(v) else { throw fail("evaluator.\(key)") }
            evaluator.training[keyPath: path] = n
        }
        if let v = definition["seed"] {
            guard let seed = UInt64(v) else { throw fail("seed") }
            self.seed = seed
        }
        if let v = definition["budget"] {
            guard let budget = Int(v) else { throw fail("budget") }
            self.budget = budget
        }
        if let v = definition["jobs.max_attempts"], let n = Int(v) { maxAttempts = n }
        if let v = definition["jobs.max_consecutive_failures"], let n = Int(v) { maxConsecutiveFailures = n }
        if let v = definition["jobs.timeout"], let t = Double(v) { jobTimeout = t }
        if let v = definition["jobs.training_seed"], let s = UInt64(v) { trainingSeed = s }
        if let v = definition["jobs.early_stopping"] {
            guard let choice = EarlyStoppingChoice(stored: v) else { throw fail("jobs.early_stopping") }
            earlyStopping = choice
        }
        if let v = definition["objective.constraints"] {
            do {
                constraints = try v.split(separator: ",").map { try Constraint.parse(String($0)) }
            } catch {
                throw fail("objective.constraints")
            }
        }
        if let v = definition["objective.minimize"] {
            let names = v.split(separator: ",").map(String.init)
            guard names.first == "val_error", names.dropFirst().allSatisfy({ !$0.isEmpty }) else {
                throw fail("objective.minimize")
            }
            objectives = Array(names.dropFirst())
        }
        if let v = definition["architectures"] { architectures = v.split(separator: " ").map(String.init) }
    }
}
