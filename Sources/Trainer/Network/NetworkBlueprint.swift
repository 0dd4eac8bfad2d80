import ANASOD

/// Which network the trainer builds around a sampled cell: NB201's macro skeleton around one cell, or
/// DARTS's evaluation network around a genotype's normal and reduction cells. The settings give the size
/// (`channels`; `cellsPerStage` is NB201's N per stage, and DARTS's total number of cells L).
public enum NetworkBlueprint: Sendable, Hashable {
    /// NB201: the cell's 6 edge operations (0 none … 4 avg_pool_3x3).
    case nb201(operations: [Int])
    /// DARTS: a genotype of the DARTS space (normal cell, reduction cell).
    case darts(genotype: Architecture)

    /// Why this network cannot take `h × w` images with `settings` (nil when it can).
    public func problem(h: Int, w: Int, settings: TrainingSettings) -> String? {
        switch self {
        case .nb201(let operations):
            return operations.count == 6 && operations.allSatisfy({ (0..<5).contains($0) })
                ? nil : "an NB201 cell has 6 operations in 0…4, got \(operations)"
        case .darts(let genotype):
            do { try DARTSSearchSpace().validate(genotype) } catch let error as ANASODError { return error.message } catch { return "\(error)" }
            return DARTSNetwork.problem(h: h, w: w, layers: settings.cellsPerStage, auxiliary: settings.auxiliaryWeight > 0)
        }
    }

    /// The network, its weights drawn from `rng`.
    func build(settings: TrainingSettings, inputChannels: Int, classes: Int, rng: inout SplitMix) -> any ClassifierNetwork {
        switch self {
        case .nb201(let operations):
            NB201Network(operations: operations, channels: settings.channels, cellsPerStage: settings.cellsPerStage,
                         inputChannels: inputChannels, classes: classes, kernels: settings.kernels, rng: &rng)
        case .darts(let genotype):
            DARTSNetwork(genotype: genotype, channels: settings.channels, layers: settings.cellsPerStage,
                         inputChannels: inputChannels, classes: classes, auxiliary: settings.auxiliaryWeight > 0,
                         dropPath: settings.dropPath, kernels: settings.kernels, rng: &rng)
        }
    }
}
