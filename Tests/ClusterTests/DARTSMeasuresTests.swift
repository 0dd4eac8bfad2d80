import ANASOD
@testable import Cluster
import Foundation
import Search
import Testing
import Trainer

/// DARTS's parameters and FLOPs known before training (issue 30): the per-edge costs add up to the network the
/// Swift trainer builds, every cell lies in its encoding's range, and a constraint on them keeps every
/// strategy's proposals feasible.
@Suite struct DARTSMeasuresTests {
    func study(_ strategy: String = "anasod-bo", objective: String) throws -> StudyConfiguration {
        try StudyConfiguration(yaml: """
            study: darts-limits
            space: darts
            strategy: \(strategy)
            budget: 10
            evaluator: {kind: trainer, channels: 4, cells: 5, epochs: 1}
            objective: {\(objective)}
            """, source: "t.yaml")
    }

    @Test func theEdgeCostsAddUpToTheBuiltNetworks() throws {
        let c = try study(objective: "constraints: {params: '<= 1e9'}")
        let measures = try StudyMeasures.measures(for: c)
        let params = try #require(measures["params"]), flops = try #require(measures["flops"])
        let space = DARTSSearchSpace()
        var draw = SeededGenerator(seed: 5)
        var cells = [try space.parse("normal=|skip_connect~0|skip_connect~1|+|sep_conv_3x3~0|skip_connect~2|+|avg_pool_3x3~1|"
                                     + "dil_conv_5x5~3|+|skip_connect~2|sep_conv_5x5~4|;reduce=|skip_connect~0|skip_connect~1|+|"
                                     + "skip_connect~1|skip_connect~2|+|max_pool_3x3~2|dil_conv_3x3~3|+|skip_connect~0|skip_connect~4|")]
        for _ in 0..<12 { cells.append(space.randomArchitecture(using: &draw)) }
        for arch in cells {
            var rng = SplitMix(state: 1)
            let network = DARTSNetwork(genotype: arch, channels: 4, layers: 5, inputChannels: 1, classes: 10, rng: &rng)
            #expect(params.value(arch) == Double(network.evaluationParameterCount), "\(space.format(arch))")
            #expect(flops.value(arch) == Double(2 * network.multiplyAccumulates(h: 28, w: 28)), "\(space.format(arch))")
            let counts = space.counts(of: arch)
            for m in [params, flops] {
                let range = try #require(m.range?(counts))
                #expect(range.contains(m.value(arch)), "\(space.format(arch)): \(m.value(arch)) outside \(range)")
            }
        }
        // Where a reduction cell's skip_connect sits matters (a factorised reduce from an input, the identity from a
        // node): the encoding's range spans both.
        let reduceSkips = [[0, 0, 0, 0, 0, 0, 8], [0, 0, 0, 0, 0, 0, 8]]
        let range = try #require(params.range?(reduceSkips))
        #expect(range.lowerBound < range.upperBound)
    }

    @Test func aLimitOnDARTSParametersKeepsEveryProposalFeasible() async throws {
        let c = try study(objective: "constraints: {params: '<= 1e9'}")
        let params = try #require(try StudyMeasures.measures(for: c)["params"])
        let space = DARTSSearchSpace()
        var draw = SeededGenerator(seed: 9)
        let sizes = (0..<200).map { _ in params.value(space.randomArchitecture(using: &draw)) }.sorted()
        let bound = sizes[sizes.count / 4]
        for name in ["rs", "re", "anasod-bo", "anasod-bo-2s"] {
            var strategy = try study(name, objective: "constraints: {params: '<= \(bound)'}").makeStrategy(space: space)
            var pending = [Proposal]()
            for step in 0..<8 {
                let proposals = strategy.propose(count: 2, pending: pending)
                for p in proposals { #expect(params.value(p.architecture) <= bound, "\(name): \(space.format(p.architecture))") }
                pending += proposals
                guard !pending.isEmpty else { break }
                let p = pending.removeFirst()
                strategy.observe(Observation(architecture: p.architecture, value: 10 + Double(step % 3)))
            }
        }
        // A limit below the smallest network is refused by the pre-flight, which names the smallest.
        do {
            _ = try await Preflight.check(try study(objective: "constraints: {params: '<= 10'}"), local: nil)
            Issue.record("an impossible limit on DARTS parameters was accepted")
        } catch let error as ClusterError {
            #expect(error.message.contains("leave no cell") && error.message.contains("the smallest cells have params "), "\(error.message)")
        }
        // Two limits each within reach that no cell meets together: no sampled cell keeps to both.
        let darts = try #require(try StudyMeasures.dartsMeasures(for: c))
        let p = darts.extremes(darts.params), f = darts.extremes(darts.flops)
        do {
            _ = try await Preflight.check(try study(objective: "constraints: {params: '<= \(p.lowerBound + 1)', flops: '>= \(f.upperBound - 1)'}"),
                                          local: nil)
            Issue.record("limits no cell meets together were accepted")
        } catch let error as ClusterError {
            #expect(error.message.contains("leave no cell of a sample of 20000"), "\(error.message)")
        }
    }
}
