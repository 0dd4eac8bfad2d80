import ANASOD

/// A job's `evaluation` field: a msgpack map `{v: 1, kind, dataset, …}` with the YAML keys of the study's
/// `evaluator` section (cluster/PROTOCOL.md). Strict: an unknown key, a value of the wrong type or out of
/// range, or a version this build does not read is an error naming it; nothing is defaulted.
extension EvaluationSettings {
    /// The map as it travels (only set values; `kind`, `dataset` resolved, and the version always).
    public var wireValue: MessagePackValue {
        var fields: [(String, MessagePackValue)] = [("v", .uint(UInt64(Self.version))), ("kind", .string(kind.rawValue)),
                                                   ("dataset", .string(datasetName))]
        if seconds != 0 { fields.append(("seconds", .double(seconds))) }
        if failRate != 0 { fields.append(("fail_rate", .double(failRate))) }
        for (key, value) in training.integers { if let value { fields.append((key, .int(Int64(value)))) } }
        for (key, value) in training.reals { if let value { fields.append((key, .double(value))) } }
        if let v = training.augment { fields.append(("augment", .bool(v))) }
        if let v = dataDirectory { fields.append(("data_dir", .string(v))) }
        if killGrace != Self.defaultKillGrace { fields.append(("kill_grace", .double(killGrace))) }
        if let v = amp { fields.append(("amp", .bool(v))) }
        if let v = trainer { fields.append(("trainer", .string(v))) }
        if device != .any { fields.append(("device", .string(device.rawValue))) }
        return .map(fields.map { (.string($0.0), $0.1) })
    }

    /// Reads and validates a job's `evaluation` field for a job of `space`.
    /// - Throws: `WireError.invalidMessage` naming the field, or `.unsupportedVersion` for settings newer
    ///   than this build reads.
    public init(wire value: MessagePackValue?, space: String) throws {
        guard let value else { throw WireError(.invalidMessage, "job is missing the field 'evaluation'") }
        let f = try MessageFields(type: .job, body: value, field: "evaluation")
        let version = try f.uint64("v")
        guard version == UInt64(Self.version) else {
            throw WireError(.unsupportedVersion, "job evaluation settings are version \(version); this worker reads "
                            + "\(Self.version)\(version > UInt64(Self.version) ? ": upgrade this worker's anasod" : "")")
        }
        let known = Set<String>(["v", "kind", "dataset", "seconds", "fail_rate", "learning_rate", "augment", "data_dir",
                                  "kill_grace", "amp", "trainer", "device"]).union(TrainingPlan.keys)
        if let unknown = f.values.keys.sorted().first(where: { !known.contains($0) }) {
            throw WireError(.invalidMessage, "job evaluation has an unknown field '\(unknown)'")
        }
        let name = try f.string("kind")
        guard let kind = Kind(rawValue: name) else { throw WireError(.invalidMessage, "job evaluation has an unknown kind '\(name)'") }
        self.init(kind: kind, dataset: try f.string("dataset"))
        func optional<T>(_ key: String, _ read: (String) throws -> T) throws -> T? { f.isAbsent(key) ? nil : try read(key) }
        seconds = try optional("seconds") { try f.double($0) } ?? 0
        failRate = try optional("fail_rate") { try f.double($0) } ?? 0
        func integer(_ key: String) throws -> Int? { try optional(key) { try f.int($0, in: 0...Int(Int32.max)) } }
        training.channels = try integer("channels")
        training.cells = try integer("cells")
        training.epochs = try integer("epochs")
        training.batchSize = try integer("batch_size")
        training.trainLimit = try integer("train_limit")
        training.validationSize = try integer("validation_size")
        training.testLimit = try integer("test_limit")
        training.cutout = try integer("cutout")
        training.learningRate = try optional("learning_rate") { try f.double($0) }
        training.auxiliaryWeight = try optional("auxiliary_weight") { try f.double($0) }
        training.dropPath = try optional("drop_path") { try f.double($0) }
        training.augment = try optional("augment") { try f.bool($0) }
        dataDirectory = try optional("data_dir") { try f.string($0) }
        killGrace = try optional("kill_grace") { try f.double($0) } ?? Self.defaultKillGrace
        amp = try optional("amp") { try f.bool($0) }
        trainer = try optional("trainer") { try f.string($0) }
        if let name = try optional("device", { try f.string($0) }) {
            guard let device = Device(rawValue: name) else { throw WireError(.invalidMessage, "job evaluation has an unknown device '\(name)'") }
            self.device = device
        }
        do {
            try validate(space: space)
        } catch let error as ANASODError {
            throw WireError(.invalidMessage, "job evaluation: \(error.message)")
        }
    }
}
