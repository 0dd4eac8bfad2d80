import ANASOD

/// One limit on a measure of a cell (issue 30): `params <= 0.5e6`, `latency_ms < 15`. The measure is named;
/// what computes it (the space, a benchmark's table, a worker) is the caller's.
public struct Constraint: Hashable, Sendable, CustomStringConvertible {
    public enum Relation: String, Sendable, CaseIterable {
        case atMost = "<="
        case below = "<"
        case atLeast = ">="
        case above = ">"
    }

    public var measure: String
    public var relation: Relation
    public var bound: Double

    public init(measure: String, relation: Relation, bound: Double) {
        self.measure = measure
        self.relation = relation
        self.bound = bound
    }

    /// Whether `value` keeps to the limit (a NaN never does).
    public func holds(for value: Double) -> Bool {
        guard !value.isNaN else { return false }
        switch relation {
        case .atMost: return value <= bound
        case .below: return value < bound
        case .atLeast: return value >= bound
        case .above: return value > bound
        }
    }

    /// Whether some value in `range` keeps to the limit.
    public func mayHold(in range: ClosedRange<Double>) -> Bool {
        holds(for: relation == .atMost || relation == .below ? range.lowerBound : range.upperBound)
    }

    public var description: String { "\(measure) \(relation.rawValue) \(Self.format(bound))" }

    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// Parses a limit as a study file or a flag writes it: `"<= 0.5e6"`, `"<15"`, `">= 0.9"` (`≤`, `≥` too).
    /// - Throws: `SearchError.invalidConfiguration` saying what a limit looks like.
    public static func parse(measure: String, limit text: String) throws -> Constraint {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        let relation: Relation
        if rest.hasPrefix("<=") || rest.hasPrefix("≤") {
            relation = .atMost
        } else if rest.hasPrefix(">=") || rest.hasPrefix("≥") {
            relation = .atLeast
        } else if rest.hasPrefix("<") {
            relation = .below
        } else if rest.hasPrefix(">") {
            relation = .above
        } else {
            throw SearchError(.invalidConfiguration,
                              "constraint \(measure): '\(text)' is not a limit; write one like '<= 0.5e6', '< 15' or '>= 0.9'")
        }
        rest = rest.dropFirst(rest.hasPrefix("≤") || rest.hasPrefix("≥") ? 1 : relation.rawValue.count)
        let number = rest.trimmingCharacters(in: .whitespaces)
        guard let bound = Double(number), bound.isFinite else {
            throw SearchError(.invalidConfiguration, "constraint \(measure): '\(number)' in '\(text)' is not a finite number")
        }
        return Constraint(measure: measure, relation: relation, bound: bound)
    }

    /// Parses `measure<=limit` (a benchmark's flag: `params<=0.5e6`).
    /// - Throws: `SearchError.invalidConfiguration` for a text without a relation or a measure.
    public static func parse(_ text: String) throws -> Constraint {
        guard let at = text.firstIndex(where: { "<>≤≥".contains($0) }) else {
            throw SearchError(.invalidConfiguration, "constraint '\(text)' has no relation; write one like 'params<=0.5e6'")
        }
        let measure = text[..<at].trimmingCharacters(in: .whitespaces)
        guard !measure.isEmpty else {
            throw SearchError(.invalidConfiguration, "constraint '\(text)' names no measure; write one like 'params<=0.5e6'")
        }
        return try parse(measure: measure, limit: String(text[at...]))
    }
}
