import ANASOD

/// What a worker can evaluate with one of its evaluators, announced in its hello: the coordinator sends it
/// only jobs one of its capabilities serves, and refuses a worker that can serve none of the study's.
public struct Capability: Hashable, Sendable {
    /// The evaluator kind (`table`, `synthetic`, `trainer`, `external`, or one this build does not know).
    public var kind: CapabilityKind
    /// The spaces it builds; empty: any.
    public var spaces: [String]
    /// The data sets it reads; empty: any (a table evaluator also reads a `.csv` file named by path).
    public var datasets: [String]
    /// For `external`: the trainer profiles this worker offers (its own commands, never the study's).
    public var profiles: [String]

    public init(kind: CapabilityKind, spaces: [String] = [], datasets: [String] = [], profiles: [String] = []) {
        self.kind = kind
        self.spaces = spaces
        self.datasets = datasets
        self.profiles = profiles
    }

    /// Whether this capability can run a study's jobs of the space named `space` with `settings`.
    public func serves(_ settings: EvaluationSettings, space: String) -> Bool {
        guard kind.evaluator == settings.kind, spaces.isEmpty || spaces.contains(space) else { return false }
        let dataset = settings.datasetName
        guard datasets.isEmpty || datasets.contains(dataset) || (settings.kind == .table && dataset.hasSuffix(".csv")) else {
            return false
        }
        return settings.kind != .external || profiles.contains(settings.trainerProfile)
    }

    /// One line for logs and refusals: `table(nb201; cifar10, cifar100)`.
    public var summary: String {
        var parts = [spaces.isEmpty ? "any space" : spaces.joined(separator: ", "),
                     datasets.isEmpty ? "any data set" : datasets.joined(separator: ", ")]
        if !profiles.isEmpty { parts.append("trainers " + profiles.joined(separator: ", ")) }
        return "\(kind.rawValue)(\(parts.joined(separator: "; ")))"
    }
}

extension Capability {
    var wireValue: MessagePackValue {
        var fields: [(MessagePackValue, MessagePackValue)] = [(.string("kind"), .string(kind.rawValue))]
        for (name, list) in [("spaces", spaces), ("datasets", datasets), ("profiles", profiles)] where !list.isEmpty {
            fields.append((.string(name), .array(list.map(MessagePackValue.string))))
        }
        return .map(fields)
    }
}
