/// The built-in search spaces by the names studies, jobs, journals and the command line use: the one list
/// of them. Raw values are the names as written (`space: darts`), so files and wire bytes are unchanged.
public enum SpaceName: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// NAS-Bench-201 (`NB201SearchSpace`).
    case nb201
    /// DARTS / NAS-Bench-301 (`DARTSSearchSpace`).
    case darts

    public var description: String { rawValue }

    /// The space itself.
    public var space: any SearchSpace {
        switch self {
        case .nb201: NB201SearchSpace()
        case .darts: DARTSSearchSpace()
        }
    }

    /// The known names, comma-separated, for messages (`nb201, darts`).
    public static var known: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// The space named `name`.
    /// - Throws: `ANASODError.Code.unknownSearchSpace` naming the known ones.
    public init(parsing name: String) throws {
        guard let value = Self(rawValue: name) else {
            throw ANASODError(.unknownSearchSpace, "unknown search space '\(name.prefix(200))' (known: \(Self.known))")
        }
        self = value
    }

    /// The space named `name` (`SpaceName(parsing:).space`).
    /// - Throws: `ANASODError.Code.unknownSearchSpace` naming the known ones.
    public static func space(named name: String) throws -> any SearchSpace { try Self(parsing: name).space }
}
