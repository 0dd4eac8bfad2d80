import Foundation

/// What a study searches and how each result is obtained: the values a resume must keep. Operational
/// settings (where it listens, heartbeats, keys, the journal's path) may change between runs.
extension StudyConfiguration {
    /// Flat `key → value`, with the keys of the YAML file (`evaluator.epochs`, `jobs.timeout`, …).
    public var searchDefinition: [String: String] {
        var d: [String: String] = [
            "study": study, "space": space.rawValue, "strategy": strategy.description, "seed": String(seed),
            "budget": String(budget),
            "jobs.max_attempts": String(maxAttempts), "jobs.timeout": String(jobTimeout),
            "jobs.max_consecutive_failures": String(maxConsecutiveFailures),
        ]
        if let trainingSeed { d["jobs.training_seed"] = String(trainingSeed) }
        if !architectures.isEmpty { d["architectures"] = architectures.joined(separator: " ") }
        for (key, value) in evaluator.textFields { d["evaluator.\(key)"] = value }
        if let command = trainerCommand { d["evaluator.command"] = command }
        return d
    }

    /// What the journal stores: the YAML as written and the effective definition (flags included).
    public var journalText: String { Self.json(["source": source, "effective": searchDefinition]) }

    /// The stored configuration after a resume allowed to change it: the new definition, and the history
    /// of changes (`changes`: when, and `key: old → new` for each), the earlier ones kept.
    func journalText(amending stored: String, changes: [String]) -> String {
        var history = [[String: Any]]()
        if let data = stored.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let earlier = object["changes"] as? [[String: Any]] {
            history = earlier
        }
        history.append(["time": Date().timeIntervalSince1970, "changes": changes])
        return Self.json(["source": source, "effective": searchDefinition, "changes": history])
    }

    private static func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The definition a journal's stored configuration describes: the effective one this build writes,
    /// or, for an older journal, the one its YAML source gives.
    static func storedDefinition(_ text: String) -> [String: String]? {
        if let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let effective = object["effective"] as? [String: String] {
            return effective
        }
        return (try? StudyConfiguration(yaml: text, source: "the journal"))?.searchDefinition
    }

    /// The keys whose values differ from `stored`, as `key: old → new`; a larger budget is not a difference
    /// (a study may be extended).
    func differences(from stored: [String: String]) -> [String] {
        let current = searchDefinition
        var changed = [String]()
        for key in Set(current.keys).union(stored.keys).sorted() {
            let old = stored[key], new = current[key]
            guard old != new else { continue }
            if key == "budget", let o = old.flatMap(Int.init), let n = new.flatMap(Int.init), n > o { continue }
            changed.append("\(key): \(old ?? "(unset)") → \(new ?? "(unset)")")
        }
        return changed
    }
}
