import Foundation
import Testing
@testable import Trainer

/// The one-shot supernet: mixed operations, both parameterisations, against finite differences and
/// against the plain network at a vertex of the simplex, on the portable kernels and, where this CPU has
/// AVX-512, on the AVX-512 ones.
@Suite struct SupernetTests {
    static let kernelSets: [ConvolutionKernels] = CPUFeatures.avx512 ? [.generic, .fastest] : [.generic]
    static let cases = NB201Supernet.Parameterization.allCases.flatMap { kind in kernelSets.map { (kind, $0) } }

    /// L = Σ logits ⊙ r of a training forward.
    static func loss(_ net: NB201Supernet, _ x: Tensor, _ r: [Float]) -> Double {
        let y = net.forward(x, training: true)
        return (0..<y.count).reduce(0.0) { $0 + Double(y.data[$1]) * Double(r[$1]) }
    }

    static func supernet(_ kind: NB201Supernet.Parameterization, kernels: ConvolutionKernels = .generic, seed: UInt64 = 3) -> NB201Supernet {
        var rng = TestRNG(state: seed)
        return NB201Supernet(parameterization: kind, channels: 3, cellsPerStage: 1, inputChannels: 1, classes: 4,
                             kernels: kernels, rng: &rng)
    }

    /// dL/dp~ and dL/dα against central differences (the weights of the network fixed).
    @Test(arguments: cases)
    func architectureGradientsMatchFiniteDifferences(kind: NB201Supernet.Parameterization, kernels: ConvolutionKernels) {
        let net = Self.supernet(kind, kernels: kernels)
        var rng = TestRNG(state: 11)
        if kind == .shared {
            net.architecture = [0.1, 0.15, 0.3, 0.25, 0.2]
        } else {
            net.architecture = (0..<30).map { _ in Double(rng.uniform()) }
        }
        let x = GradientCheck.randomTensor(4, 1, 8, 8, &rng)
        let y = net.forward(x, training: true)
        let r = (0..<y.count).map { _ in rng.uniform() }
        for p in net.parameters { p.zeroGradient() }
        net.zeroArchitectureGradient()
        net.backward(Tensor(n: y.n, c: y.c, h: 1, w: 1, data: r))
        let analytic = net.architectureGradient()
        let saved = net.architecture
        // p~ weighs all 18 edges at once: a step of 1e-3 already crosses ReLU kinks after the BNs (the
        // numeric slope of component 2 moves from −0.63 at 1e-3 to −0.67 at 2e-4 and −0.75 at 1e-4, the
        // analytic value); at 1e-4 Float32 rounding adds up to ~3e-3.
        let eps = 1e-4
        for i in 0..<saved.count {
            net.architecture[i] = saved[i] + eps
            let plus = Self.loss(net, x, r)
            net.architecture[i] = saved[i] - eps
            let minus = Self.loss(net, x, r)
            net.architecture = saved
            let numeric = (plus - minus) / (2 * eps)
            #expect(abs(numeric - analytic[i]) <= 5e-3 + 2e-2 * max(abs(numeric), abs(analytic[i])),
                    "component \(i): analytic \(analytic[i]), numeric \(numeric)")
        }
    }

    /// The weights' gradients through mixed operations (directional derivatives: the supernet is deep).
    @Test(arguments: kernelSets)
    func weightGradientsMatchFiniteDifferences(kernels: ConvolutionKernels) {
        let net = Self.supernet(.shared, kernels: kernels)
        net.architecture = [0.1, 0.15, 0.3, 0.25, 0.2]
        var rng = TestRNG(state: 12)
        GradientCheck.checkDirections(NetworkLayer(net), input: GradientCheck.randomTensor(4, 1, 8, 8, &rng), rng: &rng,
                                      kinkAllowance: 0.05)
    }

    /// A mixed operation alone, element by element: input, parameters and dL/dw.
    @Test(arguments: kernelSets)
    func aMixedOperationMatchesFiniteDifferences(kernels: ConvolutionKernels) {
        var rng = TestRNG(state: 13)
        let op = MixedOperation(channels: 2, kernels: kernels, rng: &rng)
        op.weights = [0.3, 0.2, 0.25, 0.15, 0.1]
        let x = GradientCheck.awayFromZero(GradientCheck.randomTensor(3, 2, 5, 5, &rng))
        GradientCheck.check(op, input: x, rng: &rng, samples: 30, eps: 1e-2, kinkAllowance: 0.05)
        let y = op.forward(x, training: true)
        let r = (0..<y.count).map { _ in rng.uniform() }
        op.weightGradient = [0, 0, 0, 0, 0]
        _ = op.backward(Tensor(n: y.n, c: y.c, h: y.h, w: y.w, data: r))
        #expect(op.weightGradient[0] == 0)  // none contributes nothing
        for j in 0..<5 {
            let saved = op.weights
            op.weights[j] += 1e-2
            let plus = GradientCheck.loss(op, x, r)
            op.weights = saved
            op.weights[j] -= 1e-2
            let minus = GradientCheck.loss(op, x, r)
            op.weights = saved
            let numeric = (plus - minus) / 2e-2
            #expect(abs(numeric - op.weightGradient[j]) <= 1e-3 + 1e-3 * abs(numeric), "w[\(j)]: \(op.weightGradient[j]) vs \(numeric)")
        }
    }

    /// At a vertex of the simplex (p~ = one operation) the supernet computes the plain network of the cell
    /// with that operation on every edge, given the same weights.
    @Test(arguments: [1, 2, 3, 4], kernelSets)
    func aVertexIsThePlainNetwork(operation: Int, kernels: ConvolutionKernels) {
        let net = Self.supernet(.shared, kernels: kernels)
        net.architecture = (0..<5).map { $0 == operation ? 1 : 0 }
        var rng = TestRNG(state: 5)
        let plain = NB201Network(operations: [Int](repeating: operation, count: 6), channels: 3, cellsPerStage: 1, inputChannels: 1,
                                 classes: 4, kernels: kernels, rng: &rng)
        // The supernet's parameters that the plain network has: the chosen candidate's, in layer order.
        let chosen = net.body.layers.flatMap { layer -> [Parameter] in
            guard let cell = layer as? MixedCell else { return layer.parameters }
            return cell.edges.flatMap { $0.candidates[operation]?.parameters ?? [] }
        } + net.head.parameters
        let target = plain.parameters
        #expect(chosen.count == target.count)
        for (a, b) in zip(chosen, target) {
            #expect(a.count == b.count)
            b.value = a.value
        }
        let x = GradientCheck.randomTensor(3, 1, 8, 8, &rng)
        let a = Array(net.forward(x, training: true).data), b = Array(plain.forward(x, training: true).data)
        #expect(a.count == b.count)
        let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4, "largest difference \(worst)")
    }
}
