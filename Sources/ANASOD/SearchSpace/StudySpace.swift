/// The space a study searches: a built-in one by name (`space: nb201`) or the user's own definition
/// (`space:` mapping, `SlotSearchSpace`).
///
/// Stored (journal, resume checks) as `stored`: the built-in name, or the definition's canonical JSON,
/// so a journal carries a user space's definition once, with its study.
public enum StudySpace: Hashable, Sendable, CustomStringConvertible {
    case builtIn(SpaceName)
    case defined(SlotSearchSpace)

    public static let nb201 = StudySpace.builtIn(.nb201)
    public static let darts = StudySpace.builtIn(.darts)

    /// The space's name (`nb201`, `darts`, or the definition's `name`): what jobs carry.
    public var name: String {
        switch self {
        case .builtIn(let n): n.rawValue
        case .defined(let s): s.name
        }
    }

    public var description: String { name }

    /// The space itself.
    public var space: any SearchSpace {
        switch self {
        case .builtIn(let n): n.space
        case .defined(let s): s
        }
    }

    /// The built-in space, or nil for a user's.
    public var builtIn: SpaceName? {
        if case .builtIn(let n) = self { return n }
        return nil
    }

    /// The user's definition, or nil for a built-in space.
    public var definition: SlotSearchSpace? {
        if case .defined(let s) = self { return s }
        return nil
    }

    /// A built-in name or a definition's canonical JSON.
    public var stored: String {
        switch self {
        case .builtIn(let n): n.rawValue
        case .defined(let s): s.definitionJSON
        }
    }

    /// Reads `stored` back: a built-in name, or a JSON definition.
    /// - Throws: `ANASODError.Code.unknownSearchSpace` for a name this build does not know,
    ///   `.invalidSearchSpace` for a definition that is not valid.
    public init(stored text: String) throws {
        if text.hasPrefix("{") {
            self = .defined(try SlotSearchSpace(definitionJSON: text))
        } else {
            self = .builtIn(try SpaceName(parsing: text))
        }
    }
}
