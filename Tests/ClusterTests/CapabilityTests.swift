import ANASOD
@testable import Cluster
import Journal
import Testing
import Wire

/// Workers announce what they can evaluate; the coordinator welcomes only those that can run the study,
/// and says what is missing.
@Suite struct CapabilityTests {
    let peer = PeerID(Array("w1".utf8))

    func refusal(_ actions: [CoordinatorAction]) -> String? {
        actions.lazy.compactMap { if case .send(_, .refusal(let r)) = $0 { r.reason } else { nil } }.first
    }

    func state(_ settings: EvaluationSettings, space: StudySpace = .nb201) throws -> CoordinatorState {
        var c = StudyConfiguration(study: "t")
        c.space = space
        c.evaluator = settings
        try c.validate()
        return CoordinatorState(configuration: c, space: space.space)
    }

    func hello(_ evaluators: [Capability], devices: [String] = []) -> WireMessage {
        .hello(Hello(workerID: "w1", host: "h", slots: 1, devices: devices, evaluators: evaluators, software: "t"))
    }

    @Test func aWorkerWithoutTheStudysTableIsRefusedWithWhatItLacks() throws {
        var s = try state(EvaluationSettings(kind: .table, dataset: "cifar100"))
        let reason = refusal(s.handle(hello([Capability(kind: .table, spaces: ["nb201"], datasets: ["cifar10"])]), from: peer, now: 0))
        #expect(reason?.contains("needs table for nb201 on cifar100") == true, "\(reason ?? "")")
        #expect(reason?.contains("table(nb201; cifar10)") == true)
        #expect(reason?.contains("--nb201-dir") == true)
        #expect(s.workers.isEmpty)
        // One that has it is welcomed.
        let actions = s.handle(hello([Capability(kind: .table, spaces: ["nb201"], datasets: ["cifar10", "cifar100"])]), from: peer, now: 0)
        #expect(refusal(actions) == nil)
        #expect(s.workers[peer] != nil)
    }

    @Test func anExternalStudyNeedsTheTrainerProfileAndTheSpace() throws {
        var settings = EvaluationSettings(kind: .external)
        settings.trainer = "a100"
        var s = try state(settings, space: .darts)
        let nb201Only = Capability(kind: .external, spaces: ["nb201"], profiles: ["a100"])
        #expect(refusal(s.handle(hello([nb201Only]), from: peer, now: 0))?.contains("external for darts") == true)
        let otherProfile = Capability(kind: .external, profiles: ["default"])
        #expect(refusal(s.handle(hello([otherProfile]), from: peer, now: 0))?.contains("with trainer 'a100'") == true)
        #expect(refusal(s.handle(hello([Capability(kind: .external, profiles: ["a100", "default"])]), from: peer, now: 0)) == nil)
    }

    @Test func aGPUStudyRefusesWorkersWithoutGPUSlots() throws {
        var settings = EvaluationSettings(kind: .external)
        settings.device = .gpu
        var s = try state(settings)
        let trainer = Capability(kind: .external, profiles: ["default"])
        #expect(refusal(s.handle(hello([trainer]), from: peer, now: 0))?.contains("--gpus") == true)
        #expect(refusal(s.handle(hello([trainer], devices: ["cuda:0 Fake"]), from: peer, now: 0)) == nil)
    }

    /// A study stopped by a configuration failure stays stopped on resume (until asked to go on).
    @Test func aConfigurationStopSurvivesAResume() throws {
        var s = try state(EvaluationSettings(kind: .synthetic))
        let space = NB201SearchSpace()
        let arch = space.architecture(at: 5)
        let records: [JournalRecord] = [
            .proposed(call: 0, jobs: [.init(job: 1, architecture: space.format(arch), encoding: space.encode(arch).parts.map(\.probabilities))]),
            .dispatched(job: 1, attempt: 1, worker: "w1", time: 1),
            .failure(job: 1, attempt: 1, worker: "w1", reason: "CIFAR-10 needs data_dir", class: .configuration, final: true, time: 2),
        ]
        _ = try s.restore(from: records)
        #expect(s.abortReason?.contains("CIFAR-10 needs data_dir") == true)
        s.continueAfterFailures()
        #expect(s.abortReason == nil)
    }
}
