import ANASOD

/// The envelope is a msgpack array `[version, type, body]`; the body is a map with string keys
/// (cluster/PROTOCOL.md lists every field). Optional fields are omitted when absent.
extension WireMessage {
    /// The message's bytes.
    public func encoded() -> [UInt8] { encoded(version: WireProtocol.version) }

    /// The message in another version's envelope: only for a refusal a version-1 peer must be able to read
    /// (a refusal's body is the same in every version).
    public func encoded(version: UInt64) -> [UInt8] {
        MessagePackEncoder.encode(.array([.uint(version), .uint(UInt64(type.rawValue)), .map(body)]))
    }

    /// Decodes and validates one message.
    /// - Throws: `WireError` saying what was wrong: malformed or oversized bytes, another protocol version,
    ///   an unknown type, or a missing / mistyped field.
    public static func decode(_ bytes: [UInt8], decoder: MessagePackDecoder = .init()) throws -> WireMessage {
        let value = try decoder.decode(bytes)
        guard case .array(let envelope) = value, envelope.count == 3 else {
            throw WireError(.invalidMessage, "a message must be a 3-element array [version, type, body]")
        }
        guard case .uint(let version) = envelope[0] else { throw WireError(.invalidMessage, "the version is not an integer") }
        guard version == WireProtocol.version else {
            var error = WireError(.unsupportedVersion, "protocol version \(version); this build speaks \(WireProtocol.version)"
                                  + (version < WireProtocol.version ? ": upgrade the peer's anasod" : ""))
            error.peerVersion = version
            throw error
        }
        guard case .uint(let code) = envelope[1], code <= UInt64(UInt8.max), let type = MessageType(rawValue: UInt8(code)) else {
            throw WireError(.unknownType, "unknown message type \(envelope[1])")
        }
        let f = try MessageFields(type: type, body: envelope[2])
        switch type {
        case .hello:
            return .hello(Hello(workerID: try nonEmpty(f, "worker"), host: try f.string("host"),
                                slots: try f.int("slots", in: 1...4096), devices: try f.strings("devices"),
                                evaluators: try f.capabilities("evaluators"), software: try f.string("software"),
                                heldJobs: f.isAbsent("held") ? [] : try f.jobKeys("held"),
                                features: f.isAbsent("features") ? [] : Array(try f.strings("features").prefix(64))))
        case .welcome:
            return .welcome(Welcome(workerID: try f.string("worker"), studyID: try f.string("study"),
                                    heartbeatInterval: try positive(f, "heartbeat"), software: try f.string("software"),
                                    spaceDefinition: f.isAbsent("space") ? nil : try f.string("space")))
        case .refusal:
            let retry = f.isAbsent("retry_after") ? nil : try f.double("retry_after")
            if let retry, !(retry.isFinite && retry >= 0 && retry <= 86_400) {
                throw WireError(.invalidMessage, "refusal field 'retry_after' must be a number of seconds in 0…86400, not \(retry)")
            }
            return .refusal(Refusal(reason: try f.string("reason"), retryAfter: retry))
        case .request:
            return .request(JobRequest(slots: try f.int("slots", in: 0...4096)))
        case .job:
            let key = try f.jobKey()
            let evaluation: EvaluationSettings
            do {
                evaluation = try EvaluationSettings(wire: f.values["evaluation"], space: try f.string("space"))
            } catch var error as WireError {
                error.jobKey = key  // the worker reports this job's failure instead of dropping it
                throw error
            }
            return .job(Job(key: key, studyID: try f.string("study"), space: try f.string("space"),
                            encoding: try f.matrix("encoding"), architecture: try nonEmpty(f, "arch"),
                            evaluation: evaluation, seed: try f.uint64("seed"), timeout: try positive(f, "timeout")))
        case .heartbeat:
            return .heartbeat(Heartbeat(sent: try f.double("sent"), running: try f.jobKeys("running")))
        case .progress:
            return .progress(Progress(key: try f.jobKey(), epoch: try f.int("epoch"), trainLoss: try f.optionalDouble("loss"),
                                      validationError: try f.optionalDouble("val_error"), seconds: try f.double("seconds")))
        case .result:
            return .result(JobResult(key: try f.jobKey(), metrics: Metrics(
                validationError: try f.double("val_error"), testError: try f.optionalDouble("test_error"),
                trainSeconds: try f.double("seconds"), parameters: try f.optionalInt("params"), flops: try f.optionalInt("flops"),
                latencyMs: try f.optionalDouble("latency_ms"), memoryMB: try f.optionalDouble("memory_mb"))))
        case .failure:
            let name = try f.string("class")
            guard let failureClass = FailureClass(rawValue: name) else {
                throw WireError(.invalidMessage, "failure field 'class' is not one of \(FailureClass.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return .failure(JobFailure(key: try f.jobKey(), reason: try f.string("reason"), class: failureClass,
                                       log: f.isAbsent("log") ? nil : try f.string("log")))
        case .cancel:
            return .cancel(JobCancel(key: try f.jobKey()))
        case .drain:
            return .drain(Drain(reason: try f.string("reason")))
        case .shutdown:
            return .shutdown(Shutdown(reason: try f.string("reason")))
        case .ack:
            return .ack(Ack(keys: try f.jobKeys("keys")))
        }
    }

    private static func nonEmpty(_ f: MessageFields, _ key: String) throws -> String {
        let s = try f.string(key)
        guard !s.isEmpty else { throw WireError(.invalidMessage, "\(f.type) field '\(key)' is empty") }
        return s
    }

    private static func positive(_ f: MessageFields, _ key: String) throws -> Double {
        let d = try f.double(key)
        guard d > 0 else { throw WireError(.invalidMessage, "\(f.type) field '\(key)' must be positive") }
        return d
    }

    var body: [(key: MessagePackValue, value: MessagePackValue)] {
        var fields = [(String, MessagePackValue)]()
        func key(_ k: JobKey) {
            fields.append(("job", .uint(k.jobID)))
            fields.append(("attempt", .uint(UInt64(k.attempt))))
        }
        func keys(_ list: [JobKey]) -> MessagePackValue {
            .array(list.map { .array([.uint($0.jobID), .uint(UInt64($0.attempt))]) })
        }
        func optional(_ name: String, _ value: Double?) { if let value { fields.append((name, .double(value))) } }
        func optional(_ name: String, _ value: Int?) { if let value { fields.append((name, .int(Int64(value)))) } }
        switch self {
        case .hello(let m):
            fields = [("worker", .string(m.workerID)), ("host", .string(m.host)), ("slots", .uint(UInt64(m.slots))),
                      ("devices", .array(m.devices.map(MessagePackValue.string))),
                      ("evaluators", .array(m.evaluators.map(\.wireValue))), ("software", .string(m.software))]
            if !m.heldJobs.isEmpty { fields.append(("held", keys(m.heldJobs))) }
            if !m.features.isEmpty { fields.append(("features", .array(m.features.map(MessagePackValue.string)))) }
        case .welcome(let m):
            fields = [("worker", .string(m.workerID)), ("study", .string(m.studyID)),
                      ("heartbeat", .double(m.heartbeatInterval)), ("software", .string(m.software))]
            if let space = m.spaceDefinition { fields.append(("space", .string(space))) }
        case .refusal(let m):
            fields = [("reason", .string(m.reason))]
            if let retry = m.retryAfter { fields.append(("retry_after", .double(retry))) }
        case .request(let m):
            fields = [("slots", .uint(UInt64(m.slots)))]
        case .job(let m):
            key(m.key)
            fields += [("study", .string(m.studyID)), ("space", .string(m.space)),
                       ("encoding", .array(m.encoding.map { .array($0.map(MessagePackValue.double)) })),
                       ("arch", .string(m.architecture)), ("evaluation", m.evaluation.wireValue),
                       ("seed", .uint(m.seed)), ("timeout", .double(m.timeout))]
        case .heartbeat(let m):
            fields = [("sent", .double(m.sent)), ("running", keys(m.running))]
        case .progress(let m):
            key(m.key)
            fields.append(("epoch", .uint(UInt64(m.progress.epoch))))
            optional("loss", m.progress.trainLoss)
            optional("val_error", m.progress.validationError)
            fields.append(("seconds", .double(m.progress.seconds)))
        case .result(let m):
            key(m.key)
            fields.append(("val_error", .double(m.metrics.validationError)))
            optional("test_error", m.metrics.testError)
            fields.append(("seconds", .double(m.metrics.trainSeconds)))
            optional("params", m.metrics.parameters)
            optional("flops", m.metrics.flops)
            optional("latency_ms", m.metrics.latencyMs)
            optional("memory_mb", m.metrics.memoryMB)
        case .failure(let m):
            key(m.key)
            fields += [("reason", .string(m.reason)), ("class", .string(m.failureClass.rawValue))]
            if let log = m.log { fields.append(("log", .string(log))) }
        case .cancel(let m):
            key(m.key)
        case .drain(let m):
            fields = [("reason", .string(m.reason))]
        case .shutdown(let m):
            fields = [("reason", .string(m.reason))]
        case .ack(let m):
            fields = [("keys", keys(m.keys))]
        }
        return fields.map { (.string($0.0), $0.1) }
    }
}
