import ANASOD

/// The evaluator a worker's capability announces: one of this build's `EvaluationSettings.Kind`s, or a name
/// it does not know (a newer worker's, or anything a peer sends). A hello with an unknown kind still decodes;
/// such a capability serves no study. On the wire it is its name (`rawValue`), byte for byte.
///
/// Two kinds are equal when their names are: `CapabilityKind(rawValue:)` never makes `.unknown` of a known name,
/// and equality holds even for one written by hand.
public enum CapabilityKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// An evaluator this build runs.
    case evaluator(EvaluationSettings.Kind)
    /// A name this build does not know.
    case unknown(String)

    public static let table = CapabilityKind.evaluator(.table)
    public static let synthetic = CapabilityKind.evaluator(.synthetic)
    public static let trainer = CapabilityKind.evaluator(.trainer)
    public static let external = CapabilityKind.evaluator(.external)

    public init(rawValue: String) {
        self = EvaluationSettings.Kind(rawValue: rawValue).map(Self.evaluator) ?? .unknown(rawValue)
    }

    public var rawValue: String {
        switch self {
        case .evaluator(let kind): kind.rawValue
        case .unknown(let name): name
        }
    }

    /// The evaluator, when this build knows it.
    public var evaluator: EvaluationSettings.Kind? { EvaluationSettings.Kind(rawValue: rawValue) }

    public var description: String { rawValue }

    public static func == (a: Self, b: Self) -> Bool { a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
}
