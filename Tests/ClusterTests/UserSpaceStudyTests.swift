import ANASOD
@testable import Cluster
import Evaluation
import Foundation
import Journal
import Testing
import TestSupport
import Wire

/// Issue 29: a study over a space of the user's own, from the study file through the welcome and the
/// workers to the journal, and the trainer job an external trainer reads.
@Suite struct UserSpaceStudyTests {
    static let yaml = """
        study: own-dag
        space:
          name: tiny-dag
          operations: [zero, skip, conv, pool]
          wiring:
            dag: [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]
        strategy: anasod-bo-2s
        budget: 14
        evaluator:
          kind: synthetic
        """

    @Test func theStudyFileDefinesTheSpace() throws {
        let c = try StudyConfiguration(yaml: Self.yaml, source: "t.yaml")
        let space = try #require(c.space.definition)
        #expect(space.name == "tiny-dag" && space.slotsPerCell == 5 && space.operations == ["zero", "skip", "conv", "pool"])
        #expect(c.searchDefinition["space"] == space.definitionJSON)
        // The journal's stored definition gives the same space back (resume, report, replay).
        #expect(try StudySpace(stored: c.searchDefinition["space"]!) == c.space)
        var other = c
        other.space = .defined(try SlotSearchSpace(name: "tiny-dag", operations: ["zero", "skip", "conv"], slots: 5))
        #expect(other.differences(from: c.searchDefinition).contains { $0.hasPrefix("space:") })
        // A DARTS-like space of one's own may use the DARTS training keys: its trainer reads them.
        let darts = try StudyConfiguration(yaml: """
            study: own-cells
            space: {name: cells, operations: [sep3, skip], cell_types: [normal, reduce], wiring: {darts: {nodes: 4}}}
            evaluator: {kind: external, command: python3 t.py, drop_path: 0.2, auxiliary_weight: 0.4}
            """, source: "t.yaml")
        #expect(darts.space.definition?.slotsPerCell == 8 && darts.evaluator.training.dropPath == 0.2)
    }

    @Test func badSpacesInAStudyFileNameTheKey() {
        func message(_ space: String) -> String {
            do {
                _ = try StudyConfiguration(yaml: "study: s\nspace:\n\(space)\nevaluator: {kind: synthetic}\n", source: "t.yaml")
                return "accepted"
            } catch let e as ClusterError {
                return e.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message("  name: x\n  operations: []\n  slots: 3") == "t.yaml: search space 'x': 'operations' is empty")
        #expect(message("  name: x\n  operations: [a, a]\n  slots: 3").contains("'a' is listed twice"))
        #expect(message("  name: x\n  operations: [a]\n  slots: 3\n  colour: red").contains("unknown key 'space.colour'"))
        #expect(message("  name: x\n  operations: [a]\n  wiring: {dag: [[0, 1], [1, 2], [2, 1], [2, 3]]}").contains("cycle"))
        #expect(message("  name: x\n  operations: [a]\n  slots: '3'").contains("'space.slots' must be a whole number"))
        #expect(message("  - a\n  - b").contains("'space' must be a built-in space's name (nb201, darts) or a mapping"))
        do {
            _ = try StudyConfiguration(yaml: "study: s\nspace: nb301\n", source: "t.yaml")
            Issue.record("an unknown space was accepted")
        } catch let e as ClusterError {
            #expect(e.message.contains("define your own"))
        } catch {
            Issue.record("\(error)")
        }
        // The Swift trainer and the tables build NB201 and DARTS cells only.
        do {
            _ = try StudyConfiguration(yaml: "study: s\nspace: {name: x, operations: [a, b], slots: 3}\nevaluator: {kind: trainer}\n",
                                       source: "t.yaml")
            Issue.record("a user space with the Swift trainer was accepted")
        } catch let e as ClusterError {
            #expect(e.message.contains("cannot build 'x' cells"), "\(e.message)")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aClusterSearchesTheUsersSpaceEndToEnd() async throws {
        let c = try StudyConfiguration(yaml: Self.yaml, source: "t.yaml")
        let space = try #require(c.space.definition)
        let journal = InMemoryJournal()
        let cluster = try InProcessCluster(configuration: c, journal: journal)
        cluster.addWorker(id: "w1", slots: 2)
        cluster.addWorker(id: "w2", slots: 1)
        let status = try await cluster.finish(timeout: 60)
        #expect(status.successes == 14)
        var cells = 0
        for record in try journal.records() {
            guard case .proposed(_, let jobs, _) = record else { continue }
            for job in jobs {
                try space.validate(try space.parse(job.architecture))
                cells += 1
            }
        }
        #expect(cells >= 14)
    }

    @Test func theWelcomeCarriesTheDefinition() async throws {
        let c = try StudyConfiguration(yaml: Self.yaml, source: "t.yaml")
        let cluster = try InProcessCluster(configuration: c, journal: InMemoryJournal())
        let client = cluster.server.connect(identity: "raw")
        let received = Inbox<ClientEvent>()
        client.start { received.append($0) }
        cluster.start()
        // Said again until answered: a hello sent before the coordinator listens is lost, as on a real network.
        var answer: Welcome?
        for _ in 0..<40 where answer == nil {
            client.send(.hello(Hello(workerID: "raw", host: "h", slots: 1, devices: [],
                                     evaluators: [Capability(kind: .synthetic)], software: ClusterVersion.software,
                                     features: Hello.supportedFeatures)))
            answer = received.take(timeout: 0.5) { event -> Welcome? in
                if case .message(.welcome(let w)) = event { w } else { nil }
            }
        }
        let welcome = try #require(answer)
        // A build that cannot read the definition (no 'defined-spaces' in its hello) is refused, saying why.
        let old = cluster.server.connect(identity: "old")
        let oldReceived = Inbox<ClientEvent>()
        old.start { oldReceived.append($0) }
        old.send(.hello(Hello(workerID: "old", host: "h", slots: 1, devices: [], evaluators: [Capability(kind: .synthetic)],
                              software: "anasod 0.9")))
        let refusal = try #require(oldReceived.take(timeout: 10) { event -> Refusal? in
            if case .message(.refusal(let r)) = event { r } else { nil }
        })
        #expect(refusal.reason.contains("its own space 'tiny-dag'") && refusal.reason.contains("upgrade the worker"), "\(refusal.reason)")
        old.close()
        #expect(welcome.spaceDefinition == c.space.definition?.definitionJSON)
        client.close()
        cluster.coordinator.stop()
        _ = try await cluster.finish()

        // A welcome's definition and a hello's features survive the wire.
        let message = WireMessage.welcome(welcome)
        #expect(try WireMessage.decode(message.encoded()) == message)
        let hello = WireMessage.hello(Hello(workerID: "w", host: "h", slots: 2, evaluators: [Capability(kind: .synthetic)],
                                            software: "s", features: Hello.supportedFeatures))
        #expect(try WireMessage.decode(hello.encoded()) == hello)
    }

    @Test func theTrainerJobGivesPlainSlotsAndTheDefinition() throws {
        let c = try StudyConfiguration(yaml: Self.yaml, source: "t.yaml")
        let space = try #require(c.space.definition)
        let text = "|conv~0|+|pool~0|skip~1|+|zero~1|conv~2|"
        let job = TrainerJob(study: "s", job: 1, attempt: 1, space: space, architecture: text, cell: try space.parse(text),
                             encoding: [[0.2, 0.2, 0.4, 0.2]], seed: 3, evaluation: EvaluationSettings(kind: .external),
                             workDirectory: "/tmp/w", device: nil, deadline: 0)
        let object = try #require(try JSONSerialization.jsonObject(with: try job.json()) as? [String: Any])
        let slots = try #require((object["slots"] as? [String: Any])?["cell"] as? [[String: Any]])
        #expect(slots.map { "\($0["op"]!) \($0["source"]!)>\($0["target"]!)" }
                == ["conv 0>1", "pool 0>2", "skip 1>2", "zero 1>3", "conv 2>3"])
        let definition = try #require(object["space_definition"])
        #expect(try SlotSearchSpace(definition: definition) == space)
        #expect(object["space"] as? String == "tiny-dag")
    }
}
