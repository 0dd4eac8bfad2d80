import ANASOD

/// Builds strategies by the names the CLI and configs use (`StrategyName`, `StrategyChoice`).
public enum StrategyFactory {
    /// Every searching strategy's name, in the order benchmarks list them.
    public static let names = StrategyName.searching.map(\.rawValue)

    /// Strategies that measure rather than search (left out of benchmarks).
    public static let measurements = StrategyName.allCases.filter(\.isMeasurement).map(\.rawValue)

    /// The strategy `text` names (`StrategyChoice(parsing:)`).
    /// - Throws: `SearchError.unknownStrategy` naming the known ones, `SearchError.invalidConfiguration` for
    ///   bad options or `list` (made from a study's architectures: `ListStrategy`).
    /// - Parameters:
    ///   - budget: the evaluations the study or run will make, for strategies whose schedule ends there
    ///     (ANASOD-BO's `cost=carbo`) unless their options name one.
    ///   - deterministic: every evaluation of a cell gives the same value (a table look-up): `anasod-bo-2s`
    ///     then trains no cell again, unless its options name `retrain` (a repeat would only tell its GP
    ///     that the noise is nil, and on the NB201 tables that made it slower to find the optimum).
    public static func make(_ text: String, space: any SearchSpace, seed: UInt64, budget: Int? = nil,
                            deterministic: Bool = false) throws -> any SearchStrategy {
        try make(StrategyChoice(parsing: text), space: space, seed: seed, budget: budget, deterministic: deterministic)
    }

    /// The strategy `choice` names.
    /// - Throws: `SearchError.invalidConfiguration` for `list` (made from a study's architectures: `ListStrategy`).
    public static func make(_ choice: StrategyChoice, space: any SearchSpace, seed: UInt64,
                            budget: Int? = nil, deterministic: Bool = false) throws -> any SearchStrategy {
        if var configuration = try choice.anasodBOConfiguration(deterministic: deterministic) {
            if configuration.budget == nil { configuration.budget = budget }
            // Named as written: runs with options are told apart in benchmark tables.
            return ANASODBO(space: space, seed: seed, configuration: configuration,
                            name: choice.options == nil ? nil : choice.description)
        }
        switch choice.name {
        case .rs: return RandomSearch(space: space, seed: seed)
        case .anasodRS: return ANASODRandomSearch(space: space, seed: seed)
        case .biasedRS: return BiasedRandomSearch(space: space, seed: seed)
        case .ls: return LocalSearch(space: space, seed: seed, neighbourhood: .encoding)
        case .lsCell: return LocalSearch(space: space, seed: seed, neighbourhood: .cell)
        case .re: return RegularizedEvolution(space: space, seed: seed)
        case .oneHotBO: return OneHotBO(space: space, seed: seed)
        case .encodingGroups: return EncodingGroups(space: space, seed: seed)
        case .list:
            throw SearchError(.invalidConfiguration, "'list' evaluates a study's 'architectures': make it with ListStrategy")
        case .anasodBO, .anasodBO2S:
            preconditionFailure("ANASOD-BO is made from its configuration above")
        }
    }
}
/// The one public error type of the `Search` module.
public struct SearchError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownStrategy
        case invalidConfiguration
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
