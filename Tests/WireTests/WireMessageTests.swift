import ANASOD
import Foundation
import Testing
@testable import Wire

@Suite struct WireMessageTests {
    @Test(arguments: SampleMessages.all)
    func everyMessageRoundTrips(message: WireMessage) throws {
        #expect(try WireMessage.decode(message.encoded()) == message)
    }

    @Test func minimalMessagesRoundTrip() throws {
        let messages: [WireMessage] = [
            .hello(Hello(workerID: "w", host: "h", slots: 1, evaluators: [Capability(kind: .table)], software: "x")),
            .progress(Progress(key: JobKey(jobID: 1, attempt: 1), epoch: 0, seconds: 0)),
            .result(JobResult(key: JobKey(jobID: 1, attempt: 1), validationError: 9, trainSeconds: 0)),
            .failure(JobFailure(key: JobKey(jobID: 1, attempt: 1), reason: "x", class: .architecture)),
            .heartbeat(Heartbeat(sent: 0)),
        ]
        for m in messages { #expect(try WireMessage.decode(m.encoded()) == m) }
    }

    static let fixtures: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/v\(WireProtocol.version)")

    @Test func versionedFixturesDecode() throws {
        let writing = ProcessInfo.processInfo.environment["ANASOD_WRITE_FIXTURES"] == "1"
        for message in SampleMessages.all {
            let name = "\(message.type).hex"
            if writing {
                let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/v\(WireProtocol.version)/\(name)")
                try (hex(message.encoded()) + "\n").write(to: source, atomically: true, encoding: .utf8)
                continue
            }
            let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
            let bytes = try #require(unhex(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(try WireMessage.decode(bytes) == message, "fixture \(name)")
            #expect(bytes == message.encoded(), "fixture \(name): the encoding changed")
        }
    }

    /// A result's measures known only after evaluation (issue 30) are optional fields: a result without them
    /// (an older worker's, the fixture's) decodes as before.
    @Test func aResultCarriesLatencyAndMemory() throws {
        let key = JobKey(jobID: 42, attempt: 2)
        let message = WireMessage.result(JobResult(key: key, metrics: Metrics(validationError: 7.25, trainSeconds: 12,
                                                                              latencyMs: 3.125, memoryMB: 812.5)))
        #expect(try WireMessage.decode(message.encoded()) == message)
        let plain = WireMessage.result(JobResult(key: key, metrics: Metrics(validationError: 7.25, trainSeconds: 12)))
        #expect(message.encoded().count > plain.encoded().count)
        guard case .result(let decoded) = try WireMessage.decode(plain.encoded()) else { Issue.record("not a result"); return }
        #expect(decoded.metrics.latencyMs == nil && decoded.metrics.memoryMB == nil)
    }

    @Test func rejectsAnotherProtocolVersion() {
        for version in [1, 3] as [UInt64] {
            let bytes = MessagePackEncoder.encode(.array([.uint(version), .uint(4), .map([(.string("slots"), .uint(1))])]))
            let error = #expect(throws: WireError.self) { try WireMessage.decode(bytes) }
            #expect(error?.code == .unsupportedVersion)
            #expect(error?.peerVersion == version)
            #expect(error?.message.contains("protocol version \(version)") == true)
        }
    }

    /// Every version-1 message (the fixtures of the old protocol, kept as they were) is refused by version,
    /// and a refusal can still be written in the version-1 envelope those peers read.
    @Test func versionOneMessagesAreRefusedByName() throws {
        let folder = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/v1")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".hex") }
        #expect(names.count == 12)
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let bytes = try #require(unhex(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            let error = #expect(throws: WireError.self, "\(name)") { try WireMessage.decode(bytes) }
            #expect(error?.peerVersion == 1)
        }
        let refusal = WireMessage.refusal(Refusal(reason: "protocol version 1; this build speaks 2"))
        let v1 = try String(contentsOf: folder.appendingPathComponent("refusal.hex"), encoding: .utf8)
        let old = MessagePackEncoder.encode(.array([.uint(1), .uint(3), .map([(.string("reason"), .string("protocol version 2 not supported"))])]))
        #expect(hex(old) == v1.trimmingCharacters(in: .whitespacesAndNewlines))  // the v1 refusal layout, byte for byte
        let bytes = refusal.encoded(version: 1)
        guard case .array(let envelope) = try MessagePackDecoder().decode(bytes) else { Issue.record("not an array"); return }
        #expect(envelope.first == .uint(1))
        #expect(envelope.count == 3 && envelope[1] == .uint(3))
    }

    @Test func rejectsUnknownTypes() {
        for code in [0, 14, 200, 70000] as [UInt64] {
            let bytes = MessagePackEncoder.encode(.array([.uint(WireProtocol.version), .uint(code), .map([])]))
            do {
                _ = try WireMessage.decode(bytes)
                Issue.record("type \(code) decoded")
            } catch let e as WireError {
                #expect(e.code == .unknownType)
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func wrongFieldTypesNameTheField() {
        var body = SampleMessages.all[4].encodedBody
        body[0] = (.string("job"), .string("forty-two"))
        let bytes = MessagePackEncoder.encode(.array([.uint(WireProtocol.version), .uint(5), .map(body)]))
        do {
            _ = try WireMessage.decode(bytes)
            Issue.record("decoded")
        } catch let e as WireError {
            #expect(e.code == .invalidMessage)
            #expect(e.message.contains("'job'"), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
        let missing = MessagePackEncoder.encode(.array([.uint(WireProtocol.version), .uint(8), .map([(.string("job"), .uint(1))])]))
        #expect(throws: WireError.self) { try WireMessage.decode(missing) }
        let nan = MessagePackEncoder.encode(.array([.uint(WireProtocol.version), .uint(8), .map([
            (.string("job"), .uint(1)), (.string("attempt"), .uint(1)), (.string("val_error"), .double(.nan)),
            (.string("seconds"), .double(1)),
        ])]))
        #expect(throws: WireError.self) { try WireMessage.decode(nan) }
    }

    @Test func everyTruncationIsRejected() {
        for message in SampleMessages.all {
            let bytes = message.encoded()
            for cut in 0..<bytes.count {
                #expect(throws: WireError.self) { try WireMessage.decode(Array(bytes.prefix(cut))) }
            }
            #expect(throws: WireError.self) { try WireMessage.decode(bytes + [0xc0]) }  // trailing byte
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 17)
        var decoded = 0
        for _ in 0..<20_000 {
            let length = rng.nextInt(below: 64)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            if (try? WireMessage.decode(bytes)) != nil { decoded += 1 }
        }
        #expect(decoded == 0)
        // Mutations of valid messages: flip one byte.
        for message in SampleMessages.all {
            let bytes = message.encoded()
            for _ in 0..<300 {
                var mutated = bytes
                mutated[rng.nextInt(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
                _ = try? WireMessage.decode(mutated)  // must return or throw, never crash
            }
        }
    }

    @Test func hugeDeclaredLengthsAreRejectedWithoutAllocating() {
        let hostile: [[UInt8]] = [
            [0x93, 0x01, 0x04, 0xdd, 0xff, 0xff, 0xff, 0xff],  // array of 4 billion
            [0x93, 0x01, 0x04, 0xdf, 0xff, 0xff, 0xff, 0xff],  // map of 4 billion
            [0x93, 0x01, 0x04, 0xdb, 0x7f, 0xff, 0xff, 0xff, 0x41],  // string of 2 GB
            [0xc6, 0xff, 0xff, 0xff, 0xff],  // binary of 4 GB
            Array(repeating: 0x91, count: 100) + [0xc0],  // nesting 100 deep
        ]
        for bytes in hostile {
            #expect(throws: WireError.self) { try WireMessage.decode(bytes) }
        }
        let oversized = [UInt8](repeating: 0xc0, count: (1 << 20) + 1)
        do { _ = try WireMessage.decode(oversized) } catch let e as WireError { #expect(e.code == .oversized) } catch {}
    }
}

extension WireMessage {
    var encodedBody: [(key: MessagePackValue, value: MessagePackValue)] { body }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

func unhex(_ text: String) -> [UInt8]? {
    let chars = Array(text.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out = [UInt8]()
    for i in stride(from: 0, to: chars.count, by: 2) {
        guard let b = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
    }
    return out
}


/// A job's evaluation settings are read strictly: a newer version, an unknown key, a wrong type or a value
/// out of range is an error naming it, and carries the job's key (the worker fails that job instead of
/// dropping it).
@Suite struct EvaluationSettingsWireTests {
    static let key = JobKey(jobID: 9, attempt: 1)

    func job(evaluation: MessagePackValue) -> [UInt8] {
        var body = WireMessage.job(Job(key: Self.key, studyID: "s", space: "nb201", encoding: [[1, 0, 0, 0, 0]], architecture: "|x|",
                                       evaluation: EvaluationSettings(kind: .table), seed: 1, timeout: 5)).body
        body = body.map { $0.key == .string("evaluation") ? (key: $0.key, value: evaluation) : $0 }
        return MessagePackEncoder.encode(.array([.uint(WireProtocol.version), .uint(UInt64(MessageType.job.rawValue)), .map(body)]))
    }

    func error(_ evaluation: [(String, MessagePackValue)]) -> WireError? {
        do {
            _ = try WireMessage.decode(job(evaluation: .map(evaluation.map { (.string($0.0), $0.1) })))
            return nil
        } catch let error as WireError {
            return error
        } catch {
            return nil
        }
    }

    @Test func settingsRoundTripWithEveryField() throws {
        #expect(try WireMessage.decode(SampleMessages.all[4].encoded()) == SampleMessages.all[4])
    }

    @Test func aNewerVersionIsRefusedByName() {
        let e = error([("v", .uint(2)), ("kind", .string("table")), ("dataset", .string("cifar10"))])
        #expect(e?.code == .unsupportedVersion)
        #expect(e?.message.contains("version 2") == true)
        #expect(e?.jobKey == Self.key)
    }

    @Test(arguments: [
        ([("v", MessagePackValue.uint(1)), ("kind", .string("table")), ("dataset", .string("cifar10")), ("command", .string("rm -rf /"))],
         "unknown field 'command'"),
        ([("v", .uint(1)), ("kind", .string("gpu")), ("dataset", .string("cifar10"))], "unknown kind 'gpu'"),
        ([("v", .uint(1)), ("kind", .string("trainer")), ("dataset", .string("fashion-mnist")), ("epochs", .string("ten"))],
         "'epochs' is not"),
        ([("v", .uint(1)), ("kind", .string("trainer")), ("dataset", .string("fashion-mnist")), ("batch_size", .uint(1))],
         "'evaluator.batch_size' must be in 2…65536"),
        ([("v", .uint(1)), ("kind", .string("table")), ("dataset", .string("cifar10")), ("epochs", .uint(3))],
         "'evaluator.epochs' not read by 'evaluator.kind: table'"),
        ([("kind", .string("table")), ("dataset", .string("cifar10"))], "missing the field 'v'"),
    ])
    func badSettingsAreNamed(fields: [(String, MessagePackValue)], words: String) {
        let e = error(fields)
        #expect(e?.code == .invalidMessage)
        #expect(e?.message.contains(words) == true, "\(e?.message ?? "no error")")
        #expect(e?.jobKey == Self.key)
    }
}
