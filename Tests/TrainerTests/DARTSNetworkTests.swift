import ANASOD
import Testing
@testable import Trainer

/// DARTS networks built from genotypes.
@Suite struct DARTSNetworkTests {
    /// DARTS-V2 (Liu et al., second order), in this project's notation.
    static let dartsV2 = "normal=|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|skip_connect~0|sep_conv_3x3~1|"
        + "+|skip_connect~0|dil_conv_3x3~2|;reduce=|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~1|skip_connect~2|"
        + "+|max_pool_3x3~0|skip_connect~2|+|max_pool_3x3~1|skip_connect~2|"

    /// The count DARTS's reference code prints for DARTS-V2 at C=36, L=20 on CIFAR-10 (3.349342 M; its
    /// count leaves the auxiliary head out, and this network has none).
    @Test func dartsV2HasThePublishedParameterCount() throws {
        var rng = TestRNG(state: 1)
        let genotype = try DARTSSearchSpace().parse(Self.dartsV2)
        let network = DARTSNetwork(genotype: genotype, channels: 36, layers: 20, inputChannels: 3, classes: 10, kernels: .generic, rng: &rng)
        #expect(network.parameterCount == 3_349_342)
    }

    /// A whole small network (normal and reduction cells, every operation kind) against finite differences.
    @Test func aSmallNetworksGradientsMatchFiniteDifferences() throws {
        var rng = TestRNG(state: 4)
        let genotype = try DARTSSearchSpace().parse(
            "normal=|sep_conv_3x3~0|dil_conv_3x3~1|+|avg_pool_3x3~0|skip_connect~2|+|max_pool_3x3~1|sep_conv_5x5~3|"
            + "+|dil_conv_5x5~0|skip_connect~4|;reduce=|max_pool_3x3~0|skip_connect~1|+|avg_pool_3x3~1|sep_conv_3x3~2|"
            + "+|skip_connect~0|dil_conv_3x3~3|+|sep_conv_5x5~2|max_pool_3x3~4|")
        let network = DARTSNetwork(genotype: genotype, channels: 2, layers: 3, inputChannels: 1, classes: 3, kernels: .generic, rng: &rng)
        let x = Tensor(n: 2, c: 1, h: 8, w: 8, data: (0..<128).map { _ in rng.uniform() })
        let logits = network.forward(x, training: true)
        #expect(logits.count == 2 * 3)
        GradientCheck.check(NetworkLayer(network), input: x, rng: &rng, samples: 40, eps: 3e-4, kinkAllowance: 0.1)
    }
}

/// A DARTS network with its auxiliary head as one `Layer` for the gradient checker: the output is the
/// main logits followed by the auxiliary ones (N × 2K), so L = Σ y ⊙ r checks both paths at once
/// (`auxiliaryOnly`: the auxiliary logits alone, the path through the head into the cells). Before
/// every forward the cells' drop-path generators are reseeded, so that each forward draws the same masks
/// and finite differences see one fixed function.
final class AuxiliaryNetworkLayer: Layer {
    let network: DARTSNetwork
    let auxiliaryOnly: Bool
    let output = Tensor(n: 0, c: 0)
    init(_ network: DARTSNetwork, auxiliaryOnly: Bool = false) {
        self.network = network
        self.auxiliaryOnly = auxiliaryOnly
    }
    var parameters: [Parameter] { network.parameters }
    func forward(_ x: Tensor, training: Bool) -> Tensor {
        for (i, cell) in network.cells.enumerated() { cell.rng = SplitMix(state: UInt64(100 + i)) }
        let main = network.forward(x, training: training)
        let aux = network.auxiliaryLogits!
        if auxiliaryOnly { return aux }
        let k = main.sampleSize
        output.resize(n: main.n, c: 2 * k, h: 1, w: 1)
        for i in 0..<main.n {
            for j in 0..<k {
                output.data[i * 2 * k + j] = main.data[i * k + j]
                output.data[i * 2 * k + k + j] = aux.data[i * k + j]
            }
        }
        return output
    }
    func backward(_ dy: Tensor) -> Tensor {
        if auxiliaryOnly {
            network.backward(Tensor(n: dy.n, c: dy.sampleSize, h: 1, w: 1), auxiliary: dy)
            return Tensor(n: 0, c: 0)
        }
        let k = dy.sampleSize / 2, n = dy.n
        let main = Tensor(n: n, c: k, h: 1, w: 1), aux = Tensor(n: n, c: k, h: 1, w: 1)
        for i in 0..<n {
            for j in 0..<k {
                main.data[i * k + j] = dy.data[i * 2 * k + j]
                aux.data[i * k + j] = dy.data[i * 2 * k + k + j]
            }
        }
        network.backward(main, auxiliary: aux)
        return Tensor(n: 0, c: 0)
    }
}

/// The auxiliary head, drop-path, multiply-accumulates and the planes a DARTS network can take.
@Suite struct DARTSNetworkTrainingPartsTests {
    static let allPools = "normal=|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|max_pool_3x3~1|"
        + "+|max_pool_3x3~0|max_pool_3x3~1|;reduce=|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|max_pool_3x3~1|"
        + "+|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|max_pool_3x3~1|"

    /// DARTS's training script builds DARTS-V2 with its auxiliary head and prints 3.349342 M parameters:
    /// `count_parameters_in_MB` leaves out every parameter named "auxiliary". The head on 4·4C = 576
    /// channels adds conv 576·128 + BN 256 + conv 128·768·2·2 + BN 1,536 + linear 768·10 + 10 = 476,426.
    @Test func theAuxiliaryHeadAddsItsOwnParametersOnly() throws {
        var rng = TestRNG(state: 1)
        let genotype = try DARTSSearchSpace().parse(DARTSNetworkTests.dartsV2)
        let network = DARTSNetwork(genotype: genotype, channels: 36, layers: 20, inputChannels: 3, classes: 10, auxiliary: true,
                                   kernels: .generic, rng: &rng)
        #expect(network.evaluationParameterCount == 3_349_342)
        #expect(network.parameterCount == 3_349_342 + 476_426)
        #expect(network.auxiliary?.cell == 13)  // 2L/3: the second reduction cell
    }

    /// Main and auxiliary logits against finite differences, with drop-path on (fixed masks).
    @Test func auxiliaryHeadAndDropPathGradientsMatchFiniteDifferences() throws {
        var rng = TestRNG(state: 7)
        let genotype = try DARTSSearchSpace().parse(
            "normal=|sep_conv_3x3~0|skip_connect~1|+|avg_pool_3x3~0|skip_connect~2|+|max_pool_3x3~1|dil_conv_3x3~3|"
            + "+|skip_connect~0|sep_conv_3x3~4|;reduce=|max_pool_3x3~0|skip_connect~1|+|avg_pool_3x3~1|sep_conv_3x3~2|"
            + "+|skip_connect~0|dil_conv_3x3~3|+|skip_connect~2|max_pool_3x3~4|")
        // 32 × 32 reaches the second reduction (cell 2 of 3) at 8 × 8, where the head reads.
        let network = DARTSNetwork(genotype: genotype, channels: 2, layers: 3, inputChannels: 1, classes: 3, auxiliary: true,
                                   dropPath: 0.5, kernels: .generic, rng: &rng)
        network.beginEpoch(2, of: 2)  // p = 0.5 · 1/2
        #expect(network.cells.allSatisfy { $0.dropProbability == 0.25 })
        let x = GradientCheck.randomTensor(4, 1, 32, 32, &rng)
        // At 32 × 32 a perturbation crosses some of the many max-pool and ReLU kinks (the same network
        // without the head and drop-path disagrees on 7 of 168 directions): a few may disagree.
        GradientCheck.checkDirections(AuxiliaryNetworkLayer(network, auxiliaryOnly: true), input: x, rng: &rng, kinkAllowance: 0.12)
        GradientCheck.checkDirections(AuxiliaryNetworkLayer(network), input: x, rng: &rng, kinkAllowance: 0.12)
    }

    /// Drop-path zeroes whole samples of an edge with probability p and scales the rest by 1/(1 − p); it is
    /// off in inference and at the first epoch.
    @Test func dropPathDropsSamplesInTrainingOnly() throws {
        var rng = TestRNG(state: 3)
        let genotype = try DARTSSearchSpace().parse(Self.allPools)
        let network = DARTSNetwork(genotype: genotype, channels: 2, layers: 1, inputChannels: 1, classes: 3, dropPath: 0.3,
                                   kernels: .generic, rng: &rng)
        let x = GradientCheck.randomTensor(64, 1, 8, 8, &rng)
        network.beginEpoch(1, of: 10)
        #expect(network.cells[0].dropProbability == 0)
        let inference = Array(network.forward(x, training: false).data)
        network.beginEpoch(10, of: 10)
        #expect(abs(network.cells[0].dropProbability - 0.27) < 1e-6)
        #expect(Array(network.forward(x, training: false).data) == inference)
        _ = network.forward(x, training: true)
        // The reduction cell's 8 edges are all non-identity (max pools, factorised skips): 8 × 64 draws.
        let masks = network.cells[0].masks.flatMap { $0 }
        #expect(masks.count == 8 * 64)
        let dropped = masks.filter { $0 == 0 }.count
        #expect((90...220).contains(dropped), "\(dropped) of 512 dropped at p = 0.27")
        #expect(masks.allSatisfy { $0 == 0 || abs($0 - 1 / 0.73) < 1e-5 })
    }

    /// Counted by hand for C = 2 and one cell (a reduction cell, so on 2C = 4 channels): stem 9·1·6·64,
    /// two 1×1 preprocessings 6·4·64 each, the classifier 16·3; max pools cost nothing, a stride-2
    /// sep_conv_3x3 on 4 channels at 8 × 8 costs 2·(9·4·16 + 4·4·16).
    @Test func multiplyAccumulatesAreCountedByHand() throws {
        var rng = TestRNG(state: 1)
        let pools = try DARTSSearchSpace().parse(Self.allPools)
        let a = DARTSNetwork(genotype: pools, channels: 2, layers: 1, inputChannels: 1, classes: 3, kernels: .generic, rng: &rng)
        #expect(a.multiplyAccumulates(h: 8, w: 8) == 3456 + 2 * 1536 + 48)
        let sep = try DARTSSearchSpace().parse(Self.allPools.replacingOccurrences(of: "reduce=|max_pool_3x3~0|", with: "reduce=|sep_conv_3x3~0|"))
        let b = DARTSNetwork(genotype: sep, channels: 2, layers: 1, inputChannels: 1, classes: 3, kernels: .generic, rng: &rng)
        #expect(b.multiplyAccumulates(h: 8, w: 8) == 3456 + 2 * 1536 + 48 + 2 * (576 + 256))
    }

    @Test func planesThatCannotHalveOrFeedTheHeadAreNamed() {
        #expect(DARTSNetwork.problem(h: 32, w: 32, layers: 20, auxiliary: true) == nil)
        #expect(DARTSNetwork.problem(h: 28, w: 28, layers: 8, auxiliary: false) == nil)
        #expect(DARTSNetwork.problem(h: 28, w: 28, layers: 8, auxiliary: true)?.contains("7×7") == true)
        #expect(DARTSNetwork.problem(h: 30, w: 30, layers: 8, auxiliary: false)?.contains("15×15 at cell 5") == true)
        #expect(DARTSNetwork.problem(h: 32, w: 32, layers: 2, auxiliary: true)?.contains("at least 3 cells") == true)
    }
}
