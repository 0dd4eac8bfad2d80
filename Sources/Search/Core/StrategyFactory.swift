import ANASOD

/// Builds strategies by the names the CLI and configs use.
public enum StrategyFactory {
    /// Every strategy name, in the order benchmarks list them.
    public static let names = ["rs", "anasod-rs", "biased-rs", "ls", "ls-cell", "re", "onehot-bo", "anasod-bo",
                               "anasod-bo-2s"]

    /// Strategies that measure rather than search (left out of benchmarks).
    public static let measurements = ["encoding-groups"]

    /// - Throws: `SearchError.unknownStrategy` naming the known ones.
    /// ANASOD-BO takes options in brackets, for experiments: `anasod-bo[pending=lp,pool=1000]` (keys in
    /// `ANASODBO.Configuration.apply`).
    public static func make(_ name: String, space: any SearchSpace, seed: UInt64) throws -> any SearchStrategy {
        if let open = name.firstIndex(of: "["), name.hasSuffix("]") {
            let base = String(name[..<open])
            guard base == "anasod-bo" || base == "anasod-bo-2s" else {
                throw SearchError(.unknownStrategy, "only anasod-bo and anasod-bo-2s take options, not '\(base)'")
            }
            var configuration = ANASODBO.Configuration()
            if base == "anasod-bo-2s" { configuration.withinEncoding = .cellModel }
            let options = name[name.index(after: open)..<name.index(before: name.endIndex)]
            for option in options.split(separator: ",") {
                let parts = option.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw SearchError(.invalidConfiguration, "strategy option '\(option)' is not KEY=VALUE") }
                try configuration.apply(parts[0], parts[1])
            }
            return ANASODBO(space: space, seed: seed, configuration: configuration, name: name)
        }
        switch name {
        case "rs": return RandomSearch(space: space, seed: seed)
        case "anasod-rs": return ANASODRandomSearch(space: space, seed: seed)
        case "biased-rs": return BiasedRandomSearch(space: space, seed: seed)
        case "ls": return LocalSearch(space: space, seed: seed, neighbourhood: .encoding)
        case "ls-cell": return LocalSearch(space: space, seed: seed, neighbourhood: .cell)
        case "re": return RegularizedEvolution(space: space, seed: seed)
        case "onehot-bo": return OneHotBO(space: space, seed: seed)
        case "anasod-bo": return ANASODBO(space: space, seed: seed)
        case "encoding-groups": return EncodingGroups(space: space, seed: seed)
        case "anasod-bo-2s":
            var configuration = ANASODBO.Configuration()
            configuration.withinEncoding = .cellModel
            return ANASODBO(space: space, seed: seed, configuration: configuration)
        default:
            throw SearchError(.unknownStrategy, "unknown strategy '\(name)' (known: \(names.joined(separator: ", ")); "
                              + "for measurements: \(measurements.joined(separator: ", ")))")
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
