import ANASOD
/// Typed, validated access to a message body (a msgpack map with string keys). Every failure names the
/// message type and the field.
struct MessageFields {
    let type: MessageType
    /// The name errors give the map: the message type, or `job evaluation` for a nested map.
    let name: String
    let values: [String: MessagePackValue]

    init(type: MessageType, body: MessagePackValue, field: String? = nil) throws {
        self.type = type
        let name = field.map { "\(type) \($0)" } ?? "\(type)"
        self.name = name
        guard case .map(let pairs) = body else {
            throw WireError(.invalidMessage, "\(name) is not a map")
        }
        var values = [String: MessagePackValue]()
        for (k, v) in pairs {
            guard case .string(let key) = k else { throw WireError(.invalidMessage, "\(name) has a non-string key") }
            guard values.updateValue(v, forKey: key) == nil else {
                throw WireError(.invalidMessage, "\(name) repeats the field '\(key)'")
            }
        }
        self.values = values
    }

    func fail(_ key: String, _ expected: String) -> WireError {
        values[key] == nil
            ? WireError(.invalidMessage, "\(name) is missing the field '\(key)'")
            : WireError(.invalidMessage, "\(name) field '\(key)' is not \(expected)")
    }

    func isAbsent(_ key: String) -> Bool {
        values[key] == nil || values[key] == .null
    }

    func string(_ key: String) throws -> String {
        guard case .string(let s) = values[key] else { throw fail(key, "a string") }
        return s
    }

    func uint64(_ key: String) throws -> UInt64 {
        switch values[key] {
        case .uint(let u): return u
        case .int(let i) where i >= 0: return UInt64(i)
        default: throw fail(key, "a non-negative integer")
        }
    }

    func int(_ key: String, in range: ClosedRange<Int> = 0...Int(Int32.max)) throws -> Int {
        let value: Int
        switch values[key] {
        case .uint(let u) where u <= UInt64(Int.max): value = Int(u)
        case .int(let i): value = Int(i)
        default: throw fail(key, "an integer")
        }
        guard range.contains(value) else { throw fail(key, "an integer in \(range)") }
        return value
    }

    func optionalInt(_ key: String) throws -> Int? {
        isAbsent(key) ? nil : try int(key, in: 0...Int.max)
    }

    func double(_ key: String) throws -> Double {
        switch values[key] {
        case .double(let d) where d.isFinite: return d
        case .uint(let u): return Double(u)
        case .int(let i): return Double(i)
        default: throw fail(key, "a finite number")
        }
    }

    func optionalDouble(_ key: String) throws -> Double? {
        isAbsent(key) ? nil : try double(key)
    }

    func bool(_ key: String) throws -> Bool {
        guard case .bool(let b) = values[key] else { throw fail(key, "a boolean") }
        return b
    }

    func strings(_ key: String) throws -> [String] {
        guard case .array(let items) = values[key] else { throw fail(key, "an array of strings") }
        return try items.map {
            guard case .string(let s) = $0 else { throw fail(key, "an array of strings") }
            return s
        }
    }

    /// A hello's `evaluators`: at most 16 maps `{kind, spaces, datasets, profiles}`.
    func capabilities(_ key: String) throws -> [Capability] {
        guard case .array(let items) = values[key], items.count <= 16 else { throw fail(key, "an array of at most 16 evaluator maps") }
        return try items.map { item in
            let f = try MessageFields(type: type, body: item, field: key)
            func list(_ name: String) throws -> [String] {
                let strings = f.isAbsent(name) ? [] : try f.strings(name)
                guard strings.count <= 64, strings.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 256 }) else {
                    throw f.fail(name, "at most 64 non-empty names")
                }
                return strings
            }
            return Capability(kind: CapabilityKind(rawValue: try f.string("kind")), spaces: try list("spaces"), datasets: try list("datasets"),
                              profiles: try list("profiles"))
        }
    }

    func matrix(_ key: String) throws -> [[Double]] {
        guard case .array(let rows) = values[key] else { throw fail(key, "an array of number arrays") }
        return try rows.map { row in
            guard case .array(let items) = row else { throw fail(key, "an array of number arrays") }
            return try items.map {
                switch $0 {
                case .double(let d) where d.isFinite: return d
                case .uint(let u): return Double(u)
                case .int(let i): return Double(i)
                default: throw fail(key, "an array of number arrays")
                }
            }
        }
    }

    /// At most `maxJobKeys` pairs: no worker runs that many jobs at once, and a peer's list is decoded
    /// before anyone knows its slots (a flood of long lists must not cost the socket thread).
    static let maxJobKeys = 1024

    func jobKeys(_ key: String) throws -> [JobKey] {
        guard case .array(let items) = values[key], items.count <= Self.maxJobKeys else {
            throw fail(key, "an array of at most \(Self.maxJobKeys) [job, attempt] pairs")
        }
        return try items.map {
            guard case .array(let pair) = $0, pair.count == 2 else { throw fail(key, "an array of [job, attempt] pairs") }
            let fields = try MessageFields(type: type, body: .map([(.string("job"), pair[0]), (.string("attempt"), pair[1])]))
            return JobKey(jobID: try fields.uint64("job"), attempt: try fields.int("attempt"))
        }
    }

    func jobKey() throws -> JobKey {
        JobKey(jobID: try uint64("job"), attempt: try int("attempt"))
    }
}
