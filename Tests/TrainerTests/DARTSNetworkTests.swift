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
