import ANASOD
import Foundation
import Testing
@testable import Trainer

/// The bilevel loop: the simplex kept, seeded, resumable to the bit, cells decoded from p~*.
@Suite(.serialized) struct DNASSearchTests {
    /// Random images and labels (the loop's mechanics, not learning).
    static func data(_ n: Int = 256) -> Dataset {
        var rng = TestRNG(state: 21)
        return Dataset(images: (0..<(n * 64)).map { _ in rng.uniform() }, labels: (0..<n).map { _ in Int(rng.next() % 4) },
                       channels: 1, height: 8, width: 8, classes: 4)
    }

    static func settings(_ method: DNASSettings.Method) -> DNASSettings {
        var s = DNASSettings()
        (s.method, s.channels, s.epochs, s.batchSize, s.trainingImages) = (method, 3, 3, 32, 256)
        s.architectureLearningRate = DNASSettings.defaultArchitectureLearningRate(method) * (method == .anasod ? 10 : 100)
        return s
    }

    /// Mirror descent keeps p~ positive and summing to 1 whatever the gradient (huge, tiny, negative).
    @Test func mirrorDescentStaysOnTheSimplex() throws {
        let search = try DNASSearch(data: Self.data(), settings: Self.settings(.anasod), kernels: .generic)
        var rng = TestRNG(state: 2)
        for scale in [1e-6, 1.0, 1e3, 1e8] {
            for _ in 0..<20 {
                search.updateArchitecture((0..<5).map { _ in Double(rng.uniform()) * scale })
                let p = search.supernet.architecture
                #expect(p.allSatisfy { $0 > 0 && $0.isFinite })
                #expect(abs(p.reduce(0, +) - 1) < 1e-12)
            }
        }
    }

    /// A search stopped after an epoch and resumed from its checkpoint ends exactly where an uninterrupted
    /// one does; the trajectory moves p~ and the final cells' counts are p~* rounded.
    @Test(arguments: DNASSettings.Method.allCases)
    func aResumedSearchEndsWhereAnUninterruptedOneDoes(method: DNASSettings.Method) throws {
        let data = Self.data(), settings = Self.settings(method)
        let whole = try DNASSearch(data: data, settings: settings, kernels: .generic)
        var trajectory = [DNASEpoch]()
        try whole.run { epoch, _ in trajectory.append(epoch) }
        #expect(trajectory.map(\.epoch) == [1, 2, 3])
        #expect(trajectory.allSatisfy { $0.trainLoss.isFinite && $0.validationLoss.isFinite })
        #expect(trajectory.first!.distribution != trajectory.last!.distribution)

        struct Killed: Error {}
        let first = try DNASSearch(data: data, settings: settings, kernels: .generic)
        var saved: DNASCheckpoint?
        #expect(throws: Killed.self) {
            try first.run { _, checkpoint in
                saved = checkpoint
                throw Killed()
            }
        }
        let encoded = try JSONEncoder().encode(saved!)
        let second = try DNASSearch(data: data, settings: settings, kernels: .generic)
        try second.restore(try JSONDecoder().decode(DNASCheckpoint.self, from: encoded))
        var rest = [DNASEpoch]()
        try second.run { epoch, _ in rest.append(epoch) }
        #expect(rest.map(\.epoch) == [2, 3])
        #expect(second.supernet.architecture == whole.supernet.architecture)
        #expect(zip(second.supernet.parameters, whole.supernet.parameters).allSatisfy { $0.value == $1.value })

        let cells = try whole.finalCells(count: 4, seed: 1)
        switch method {
        case .darts:
            #expect(cells.count == 1)
            let argmax = (0..<6).map { e in whole.supernet.edgeWeights(e).indices.max { whole.supernet.edgeWeights(e)[$0] < whole.supernet.edgeWeights(e)[$1] }! }
            #expect(cells[0].cells[0].operations == argmax)
        case .dartsSampled:
            #expect(!cells.isEmpty && Set(cells).count == cells.count)
        case .anasod:
            let space = NB201SearchSpace()
            let rounded = largestRemainderRounding(whole.supernet.architecture.map { $0 * 6 }, total: 6)
            #expect(cells.count == 4)
            #expect(cells.allSatisfy { space.counts(of: $0)[0] == rounded })
        }
    }

    /// A diverged search (p~* not finite) is said, not ended with no cells.
    @Test func aDivergedSearchIsAnError() throws {
        let search = try DNASSearch(data: Self.data(), settings: Self.settings(.anasod), kernels: .generic)
        search.supernet.architecture = [Double](repeating: .nan, count: search.supernet.architecture.count)
        #expect { try search.finalCells(count: 4, seed: 1) } throws: {
            ($0 as? TrainerError)?.code == .diverged && "\($0)".contains("architecture learning rate")
        }
    }

    @Test func settingsThatCannotWorkAreNamed() {
        var s = Self.settings(.anasod)
        s.trainingImages = 100
        #expect { try DNASSearch(data: Self.data(), settings: s) } throws: { "\($0)".contains("two batches") }
        s = Self.settings(.anasod)
        s.trainingImages = 1000
        #expect { try DNASSearch(data: Self.data(), settings: s) } throws: { "\($0)".contains("exceeds the 256") }
    }
}
