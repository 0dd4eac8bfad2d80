/// The strategy of a study with several objectives (issue 30): the strategy itself where it searches a Pareto
/// front (`SearchStrategy.pursue(measures:)`: ANASOD-BO's expected hypervolume improvement), else ParEGO's
/// scalarisations around it (the baselines; `anasod-bo[mo=parego]`).
public enum MultiObjectiveStrategy {
    /// - Parameters:
    ///   - measures: the objectives after the value, known before training.
    ///   - measured: the objectives after those, known only from each result (`Observation.measured`): ParEGO
    ///     then, whatever the strategy (the expected hypervolume improvement needs every measure before training).
    ///   - scale: how ParEGO, where it is used, scales the objectives.
    ///   - make: makes the single-objective strategy (ParEGO makes it again at each call).
    /// - Throws: what `make` throws.
    public static func make(name: String, seed: UInt64, measures: [(name: String, measure: Feasibility.Measure)],
                            measured: [String] = [], scale: ParEGO.Scale = .median,
                            _ make: @escaping @Sendable () throws -> any SearchStrategy) throws -> any SearchStrategy {
        var strategy = try make()
        if measured.isEmpty && strategy.pursue(measures: measures) { return strategy }
        var parego = try ParEGO(name: name, seed: seed, measures: measures, measured: measured, inner: make)
        parego.scale = scale
        return parego
    }
}
