import ANASOD
import Foundation
import Search
import Yams

extension StudyConfiguration {
    /// The keys a configuration may have; anything else is an error naming the key.
    static let schema: [String: Set<String>] = [
        "": ["study", "space", "strategy", "seed", "budget", "evaluator", "jobs", "cluster", "journal", "architectures", "objective"],
        "objective": ["constraints", "minimize"],
        "evaluator": EvaluationSettings.Kind.allCases.reduce(Set(["kind", "dataset"])) { $0.union($1.keys) },
        "jobs": ["max_attempts", "timeout", "max_consecutive_failures", "training_seed", "max_leases_per_worker", "early_stopping"],
        "jobs.early_stopping": ["rule", "min_epochs", "reduction_factor", "max_epochs"],
        "cluster": ["listen", "heartbeat", "worker_timeout", "security", "keys"],
    ]

    /// Loads and validates a configuration file.
    public init(file path: String) throws {
        try self.init(yaml: try Self.readConfigurationFile(path), source: path)
    }

    /// A configuration file's text, or a clear error naming it.
    static func readConfigurationFile(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ClusterError(.invalidConfiguration, "cannot read config '\(path)': \(error.localizedDescription)")
        }
    }

    /// Parses YAML; `source` names the file in error messages.
    public init(yaml: String, source: String) throws {
        func fail(_ message: String) -> ClusterError { ClusterError(.invalidConfiguration, "\(source): \(message)") }
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw fail("not valid YAML: \(error)")
        }
        guard let mapping = root?.mapping else { throw fail("expected a mapping of keys at the top level") }
        let top = try Self.entries(mapping, section: "", fail: fail)
        guard let studyNode = top["study"] else { throw fail("the key 'study' is required") }
        self.init(study: try Self.string(studyNode, "study", fail))
        self.source = yaml
        if let n = top["space"] { space = try Self.space(n, fail) }
        if let n = top["strategy"] {
            do {
                strategy = try StrategyChoice(parsing: try Self.string(n, "strategy", fail))
            } catch let error as SearchError {
                throw fail("'strategy': \(error.message)")
            }
        }
        if let n = top["architectures"] {
            guard let items = n.sequence else { throw fail("'architectures' must be a list of architecture strings") }
            architectures = try items.enumerated().map { i, item in try Self.string(item, "architectures[\(i)]", fail) }
        }
        if let n = top["seed"] { seed = UInt64(try Self.int(n, "seed", min: 0, fail)) }
        if let n = top["budget"] { budget = try Self.int(n, "budget", min: 1, fail) }
        if let n = top["journal"] { journal = try Self.string(n, "journal", fail) }
        if let n = top["evaluator"] {
            guard let m = n.mapping else { throw fail("'evaluator' must be a mapping") }
            let e = try Self.entries(m, section: "evaluator", fail: fail)
            evaluator = try Self.evaluation(e, fail)
            if let v = e["command"] { trainerCommand = try Self.string(v, "evaluator.command", fail) }
        }
        if let n = top["objective"] {
            constraints = try Self.constraints(n, fail)
            objectives = try Self.objectives(n, fail)
        }
        if let n = top["jobs"] {
            guard let m = n.mapping else { throw fail("'jobs' must be a mapping") }
            let e = try Self.entries(m, section: "jobs", fail: fail)
            if let v = e["max_attempts"] { maxAttempts = try Self.int(v, "jobs.max_attempts", min: 1, fail) }
            if let v = e["max_leases_per_worker"] {
                maxLeasesPerWorker = try Self.int(v, "jobs.max_leases_per_worker", min: 1, fail)
            }
            if let v = e["timeout"] { jobTimeout = try Self.number(v, "jobs.timeout", fail) }
            if let v = e["max_consecutive_failures"] {
                maxConsecutiveFailures = try Self.int(v, "jobs.max_consecutive_failures", min: 1, fail)
            }
            if let v = e["training_seed"] { trainingSeed = UInt64(try Self.int(v, "jobs.training_seed", min: 0, fail)) }
            if let v = e["early_stopping"] { earlyStopping = try Self.earlyStopping(v, fail) }
        }
        if let n = top["cluster"] {
            guard let m = n.mapping else { throw fail("'cluster' must be a mapping") }
            let e = try Self.entries(m, section: "cluster", fail: fail)
            if let v = e["listen"] { listen = try Self.string(v, "cluster.listen", fail) }
            if let v = e["heartbeat"] { heartbeatInterval = try Self.number(v, "cluster.heartbeat", fail) }
            if let v = e["worker_timeout"] { workerTimeout = try Self.number(v, "cluster.worker_timeout", fail) }
            if let v = e["security"] {
                let name = try Self.string(v, "cluster.security", fail)
                guard let mode = SecurityMode(rawValue: name) else {
                    throw fail("'cluster.security' must be \(SecurityMode.known), got '\(name)'")
                }
                security = mode
            }
            if let v = e["keys"] { keys = try Self.string(v, "cluster.keys", fail) }
        }
        do {
            try validate()
        } catch let error as ClusterError {
            throw fail(error.message)
        }
    }

    /// The `evaluator` section, typed; `validate()` checks the combinations.
    static func evaluation(_ e: [String: Node], _ fail: (String) -> ClusterError) throws -> EvaluationSettings {
        var settings = EvaluationSettings()
        if let v = e["kind"] {
            let name = try string(v, "evaluator.kind", fail)
            guard let kind = EvaluationSettings.Kind(rawValue: name) else {
                throw fail("'evaluator.kind' must be one of \(EvaluationSettings.Kind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            settings.kind = kind
        }
        if let v = e["dataset"] { settings.dataset = try string(v, "evaluator.dataset", fail) }
        if let v = e["seconds"] { settings.seconds = try number(v, "evaluator.seconds", fail) }
        if let v = e["fail_rate"] { settings.failRate = try number(v, "evaluator.fail_rate", fail) }
        func integer(_ key: String) throws -> Int? { try e[key].map { try int($0, "evaluator.\(key)", min: 0, fail) } }
        settings.training.channels = try integer("channels")
        settings.training.cells = try integer("cells")
        settings.training.epochs = try integer("epochs")
        settings.training.batchSize = try integer("batch_size")
        settings.training.trainLimit = try integer("train_limit")
        settings.training.validationSize = try integer("validation_size")
        settings.training.testLimit = try integer("test_limit")
        settings.training.cutout = try integer("cutout")
        if let v = e["learning_rate"] { settings.training.learningRate = try number(v, "evaluator.learning_rate", fail) }
        if let v = e["auxiliary_weight"] { settings.training.auxiliaryWeight = try number(v, "evaluator.auxiliary_weight", fail) }
        if let v = e["drop_path"] { settings.training.dropPath = try number(v, "evaluator.drop_path", fail) }
        if let v = e["augment"] { settings.training.augment = try bool(v, "evaluator.augment", fail) }
        if let v = e["data_dir"] { settings.dataDirectory = try string(v, "evaluator.data_dir", fail) }
        if let v = e["kill_grace"] { settings.killGrace = try number(v, "evaluator.kill_grace", fail) }
        if let v = e["amp"] { settings.amp = try bool(v, "evaluator.amp", fail) }
        if let v = e["trainer"] { settings.trainer = try string(v, "evaluator.trainer", fail) }
        if let v = e["device"] {
            let name = try string(v, "evaluator.device", fail)
            guard let device = EvaluationSettings.Device(rawValue: name) else {
                throw fail("'evaluator.device' must be 'any' or 'gpu', got '\(name)'")
            }
            settings.device = device
        }
        return settings
    }

    /// `space:`: a built-in space's name, or a mapping that defines the user's own (`SlotSearchSpace`).
    static func space(_ node: Node, _ fail: (String) -> ClusterError) throws -> StudySpace {
        if node.mapping == nil {
            guard node.scalar != nil else {
                throw fail("'space' must be a built-in space's name (\(SpaceName.known)) or a mapping that defines your own "
                           + "(name, operations, slots, wiring, cell_types)")
            }
            let name = try string(node, "space", fail)
            guard let value = SpaceName(rawValue: name) else {
                throw fail("unknown 'space' '\(name)' (known: \(SpaceName.known); or define your own with a mapping: "
                           + "name, operations, slots, wiring)")
            }
            return .builtIn(value)
        }
        do {
            return .defined(try SlotSearchSpace(definition: try plain(node, "space", fail)))
        } catch let error as ANASODError {
            throw fail(error.message)
        }
    }

    /// A YAML node as JSON-like values: mappings `[String: Any]`, sequences `[Any]`, unquoted integers `Int`,
    /// other scalars `String`.
    static func plain(_ node: Node, _ key: String, _ fail: (String) -> ClusterError) throws -> Any {
        switch node {
        case .scalar(let scalar):
            if scalar.style == .plain, let i = Int(scalar.string) { return i }
            return scalar.string
        case .sequence(let items):
            return try items.enumerated().map { try plain($1, "\(key)[\($0)]", fail) }
        case .mapping(let mapping):
            var result = [String: Any]()
            for (k, v) in mapping {
                guard let name = k.string else { throw fail("a key in '\(key)' is not a string") }
                guard result.updateValue(try plain(v, "\(key).\(name)", fail), forKey: name) == nil else {
                    throw fail("the key '\(key).\(name)' appears twice")
                }
            }
            return result
        case .alias:
            throw fail("'\(key)': YAML aliases are not read here; write the value out")
        }
    }

    static func bool(_ node: Node, _ key: String, _ fail: (String) -> ClusterError) throws -> Bool {
        guard let flag = node.scalar.flatMap({ Bool.construct(from: $0) }) else { throw fail("'\(key)' must be true or false") }
        return flag
    }

    static func entries(_ mapping: Node.Mapping, section: String, fail: (String) -> ClusterError) throws -> [String: Node] {
        var result = [String: Node]()
        let allowed = schema[section] ?? []
        for (k, v) in mapping {
            guard let key = k.string else { throw fail("a key in '\(section.isEmpty ? "the top level" : section)' is not a string") }
            let path = section.isEmpty ? key : "\(section).\(key)"
            guard allowed.contains(key) else {
                throw fail("unknown key '\(path)' (allowed: \(allowed.sorted().joined(separator: ", ")))")
            }
            guard result.updateValue(v, forKey: key) == nil else { throw fail("the key '\(path)' appears twice") }
        }
        return result
    }

    /// `jobs.early_stopping`: a rule's name (`asha`, `off`), or a mapping with `rule` and the rungs' keys.
    /// `max_epochs` left out is the evaluator's `epochs`, filled in by `validate()`.
    static func earlyStopping(_ node: Node, _ fail: (String) -> ClusterError) throws -> EarlyStoppingChoice {
        func rule(_ n: Node, _ key: String) throws -> EarlyStopping.Rule {
            let name = try string(n, key, fail)
            guard let rule = EarlyStopping.Rule(rawValue: name) else {
                throw fail("'\(key)' must be one of \(EarlyStopping.Rule.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            return rule
        }
        if node.scalar != nil { return EarlyStoppingChoice(rule: try rule(node, "jobs.early_stopping")) }
        guard let m = node.mapping else { throw fail("'jobs.early_stopping' must be a rule's name or a mapping") }
        let e = try entries(m, section: "jobs.early_stopping", fail: fail)
        var choice = EarlyStoppingChoice(rule: try e["rule"].map { try rule($0, "jobs.early_stopping.rule") } ?? .asha)
        if let v = e["min_epochs"] { choice.minEpochs = try int(v, "jobs.early_stopping.min_epochs", min: 1, fail) }
        if let v = e["reduction_factor"] { choice.reductionFactor = try int(v, "jobs.early_stopping.reduction_factor", min: 2, fail) }
        if let v = e["max_epochs"] { choice.maxEpochs = try int(v, "jobs.early_stopping.max_epochs", min: 1, fail) }
        return choice
    }

    /// `objective.minimize`: `[val_error, params]`: the validation error first, then measures (what the study can know
    /// of them is checked by `validate()`, `StudyMeasures.checkNames`).
    static func objectives(_ node: Node, _ fail: (String) -> ClusterError) throws -> [String] {
        guard let m = node.mapping, let n = try entries(m, section: "objective", fail: fail)["minimize"] else { return [] }
        guard let items = n.sequence else { throw fail("'objective.minimize' must be a list, e.g. [val_error, params]") }
        let names = try items.enumerated().map { i, item in try string(item, "objective.minimize[\(i)]", fail) }
        guard names.first == "val_error" else { throw fail("'objective.minimize' starts with val_error, e.g. [val_error, params]") }
        let rest = Array(names.dropFirst())
        guard Set(rest).count == rest.count else { throw fail("'objective.minimize' names an objective twice") }
        return rest
    }

    /// `objective`: a mapping with `constraints`, itself a mapping of a measure to its limit (`params: "<= 0.5e6"`).
    static func constraints(_ node: Node, _ fail: (String) -> ClusterError) throws -> [Constraint] {
        guard let m = node.mapping else { throw fail("'objective' must be a mapping (with 'constraints' or 'minimize')") }
        let e = try entries(m, section: "objective", fail: fail)
        guard let n = e["constraints"] else { return [] }
        guard let cm = n.mapping else {
            throw fail("'objective.constraints' must be a mapping of a measure to its limit, e.g. params: \"<= 0.5e6\"")
        }
        var out = [Constraint]()
        for (k, v) in cm {
            guard let measure = k.scalar?.string, !measure.isEmpty else { throw fail("'objective.constraints' has a key that is not a name") }
            let key = "objective.constraints.\(measure)"
            guard let text = v.scalar?.string else { throw fail("'\(key)' must be a limit such as \"<= 0.5e6\"") }
            do {
                out.append(try Constraint.parse(measure: measure, limit: text))
            } catch let error as SearchError {
                throw fail("'\(key)': \(error.message)")
            }
        }
        return out
    }

    static func string(_ node: Node, _ key: String, _ fail: (String) -> ClusterError) throws -> String {
        guard let s = node.scalar?.string, !s.isEmpty else { throw fail("'\(key)' must be a non-empty string") }
        return s
    }

    static func int(_ node: Node, _ key: String, min: Int, _ fail: (String) -> ClusterError) throws -> Int {
        guard let s = node.scalar?.string, let v = Int(s), v >= min else {
            throw fail("'\(key)' must be an integer ≥ \(min), got '\(node.scalar?.string ?? "a collection")'")
        }
        return v
    }

    static func number(_ node: Node, _ key: String, _ fail: (String) -> ClusterError) throws -> Double {
        guard let s = node.scalar?.string, let v = Double(s), v.isFinite else {
            throw fail("'\(key)' must be a number, got '\(node.scalar?.string ?? "a collection")'")
        }
        return v
    }
}
