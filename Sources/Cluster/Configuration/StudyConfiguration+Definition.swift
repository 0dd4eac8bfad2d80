import Foundation

/// What a study searches and how each result is obtained: the values a resume must keep. Operational
/// settings (where it listens, heartbeats, keys, the journal's path) may change between runs.
extension StudyConfiguration {
    /// Flat `key → value`, with the keys of the YAML file (`evaluator.epochs`, `jobs.timeout`, …).
    public var searchDefinition: [String: String] {
        var d: [String: String] = [
            "study": study, "space": space.stored, "strategy": strategy.description, "seed": String(seed),
            "budget": String(budget),
            "jobs.max_attempts": String(maxAttempts), "jobs.timeout": String(jobTimeout),
            "jobs.max_consecutive_failures": String(maxConsecutiveFailures),
        ]
        if let trainingSeed { d["jobs.training_seed"] = String(trainingSeed) }
        // What may be proposed: a resume keeps it (absent without constraints, as older journals have it).
        if !constraints.isEmpty { d["objective.constraints"] = constraints.map(\.description).joined(separator: ", ") }
        if !objectives.isEmpty { d["objective.minimize"] = (["val_error"] + objectives).joined(separator: ",") }
        // Rung decisions change what is observed: a resume keeps them (absent when off, as older journals have it).
        if let settings = earlyStoppingSettings { d["jobs.early_stopping"] = EarlyStoppingChoice(settings).stored }
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
        // An older journal's YAML, or a configuration that could not be read (then `changes` says so), has no
        // history to keep.
        if let data = stored.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let earlier = object["changes"] as? [[String: Any]] {
            history = earlier
        }
        history.append(["time": Date().timeIntervalSince1970, "changes": changes])
        return Self.json(["source": source, "effective": searchDefinition, "changes": history])
    }

    private static func json(_ object: [String: Any]) -> String {
        // Strings, numbers and lists of them only: serialisation cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// The definition a journal's stored configuration describes: the effective one this build writes,
    /// or, for an older journal, the one its YAML source gives.
    /// - Throws: `ClusterError.resume` when the text is neither (a damaged journal, or YAML this build no
    ///   longer accepts), with the YAML's error.
    static func storedDefinition(_ text: String) throws -> [String: String] {
        // JSON that is not this build's shape is read as YAML below (JSON is YAML), whose error is the one said.
        if let data = text.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let effective = object["effective"] as? [String: String] {
            return effective
        }
        do {
            return try StudyConfiguration(yaml: text, source: "the journal").searchDefinition
        } catch let error as ClusterError {
            throw ClusterError(.resume, "the journal's stored configuration cannot be read: \(error.message)")
        }
    }

    /// What resuming this configuration over the journal's stored one (`stored`, its text) changes, as
    /// `key: old → new` (empty: the same search).
    /// - Parameter allowChange: whether the user allowed a changed configuration (`--allow-config-change`): a
    ///   stored configuration that cannot be read is then replaced (every key counts as changed, the first
    ///   change says why); without it, that is an error.
    /// - Throws: `ClusterError.resume` when the stored configuration cannot be read and no change is allowed.
    func resumeChanges(fromStored stored: String, allowChange: Bool) throws -> [String] {
        do {
            return differences(from: try Self.storedDefinition(stored))
        } catch let error as ClusterError where allowChange {
            return ["stored configuration unreadable (\(error.message))"] + differences(from: [:])
        } catch let error as ClusterError {
            throw ClusterError(.resume, "study '\(study)': \(error.message). Pass --allow-config-change to resume with "
                               + "this configuration instead (the journal records the change)")
        }
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
