import Testing
@testable import Trainer

/// A small seeded generator for tests (SplitMix64).
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Float { Float(Double(next() >> 11) * 0x1p-53) * 2 - 1 }
}

/// Central finite differences against a layer's backward pass, for L = Σ y ⊙ r with a fixed random r.
/// Float32 throughout: differences use ε = 1e-2 and are compared with |a − n| ≤ 2e-3 + 2e-2·max(|a|, |n|).
enum GradientCheck {
    static func loss(_ layer: Layer, _ x: Tensor, _ r: [Float]) -> Double {
        let y = layer.forward(x, training: true)
        var s = 0.0
        for i in 0..<y.count { s += Double(y.data[i]) * Double(r[i]) }
        return s
    }

    /// - Parameter kinkAllowance: the share of samples that may disagree. Composite blocks put a ReLU after
    ///   a batch norm, whose outputs sit near 0: a central difference that straddles such a kink measures a
    ///   mix of two slopes. Single layers are checked with no allowance.
    static func check(_ layer: Layer, input x: Tensor, rng: inout TestRNG, samples: Int = 40, eps: Float = 1e-2,
                      tolerance: Double = 2e-2, kinkAllowance: Double = 0, sourceLocation: SourceLocation = #_sourceLocation) {
        let y = layer.forward(x, training: true)
        let r = (0..<y.count).map { _ in rng.uniform() }
        let gradOut = Tensor(n: y.n, c: y.c, h: y.h, w: y.w, data: r)
        for p in layer.parameters { p.zeroGradient() }
        let dx = Array(layer.backward(gradOut).data.prefix(x.count))
        let checkInputs = dx.count == x.count  // a wrapper may not return dL/dx
        let paramGrads = layer.parameters.map { $0.gradient }
        var checked = 0
        var disagreements = [String]()
        func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
            let a = Double(analytic)
            checked += 1
            if abs(a - numeric) > 2e-3 + tolerance * max(abs(a), abs(numeric)) {
                disagreements.append("\(what): analytic \(a), numeric \(numeric)")
            }
        }
        defer {
            #expect(Double(disagreements.count) <= kinkAllowance * Double(checked),
                    "\(disagreements.count) of \(checked) gradients disagree: \(disagreements.prefix(12))",
                    sourceLocation: sourceLocation)
        }
        for _ in 0..<(checkInputs ? samples : 0) {
            let i = Int(rng.next() % UInt64(x.count))
            let saved = x.data[i]
            x.data[i] = saved + eps
            let plus = loss(layer, x, r)
            x.data[i] = saved - eps
            let minus = loss(layer, x, r)
            x.data[i] = saved
            compare(dx[i], (plus - minus) / Double(2 * eps), "input[\(i)]")
        }
        for (pi, p) in layer.parameters.enumerated() {
            for _ in 0..<min(samples, p.count) {
                let i = Int(rng.next() % UInt64(p.count))
                let saved = p.value[i]
                p.value[i] = saved + eps
                let plus = loss(layer, x, r)
                p.value[i] = saved - eps
                let minus = loss(layer, x, r)
                p.value[i] = saved
                compare(paramGrads[pi][i], (plus - minus) / Double(2 * eps), "parameter \(pi)[\(i)]")
            }
        }
    }

    /// Directional derivatives, for networks too large for element-wise differences in Float32 (a
    /// perturbation of one weight moves the loss by less than its rounding): per parameter tensor, the
    /// slope of L along that tensor's analytic gradient g must be |g| (within `tolerance`·|g|), and along
    /// a random unit direction u it must be ⟨g, u⟩ (within `tolerance`·|g|). A wrong or misrouted
    /// gradient fails the first; a missing component fails the second.
    static func checkDirections(_ layer: Layer, input x: Tensor, rng: inout TestRNG, eps: Float = 1e-3, tolerance: Double = 0.05,
                                kinkAllowance: Double = 0, sourceLocation: SourceLocation = #_sourceLocation) {
        let y = layer.forward(x, training: true)
        let r = (0..<y.count).map { _ in rng.uniform() }
        for p in layer.parameters { p.zeroGradient() }
        _ = layer.backward(Tensor(n: y.n, c: y.c, h: y.h, w: y.w, data: r))
        var checked = 0
        var disagreements = [String]()
        for (pi, p) in layer.parameters.enumerated() {
            let g = p.gradient.map(Double.init)
            let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 1e-4 else { continue }  // a tensor the loss barely depends on (a late BN's shift)
            var random = (0..<g.count).map { _ in Double(rng.uniform()) }
            let randomNorm = random.reduce(0) { $0 + $1 * $1 }.squareRoot()
            random = random.map { $0 / randomNorm }
            for (name, direction) in [("along g", g.map { $0 / norm }), ("random", random)] {
                let saved = p.value
                for i in 0..<g.count { p.value[i] = saved[i] + eps * Float(direction[i]) }
                let plus = loss(layer, x, r)
                for i in 0..<g.count { p.value[i] = saved[i] - eps * Float(direction[i]) }
                let minus = loss(layer, x, r)
                p.value = saved
                let numeric = (plus - minus) / Double(2 * eps)
                let analytic = zip(g, direction).reduce(0) { $0 + $1.0 * $1.1 }
                checked += 1
                if abs(numeric - analytic) > tolerance * norm {
                    disagreements.append("parameter \(pi) (\(g.count) values) \(name): analytic \(analytic), numeric \(numeric), |g| \(norm)")
                }
            }
        }
        #expect(checked > 0, sourceLocation: sourceLocation)
        #expect(Double(disagreements.count) <= kinkAllowance * Double(checked),
                "\(disagreements.count) of \(checked) directional derivatives disagree: \(disagreements.prefix(12))",
                sourceLocation: sourceLocation)
    }

    /// Moves values within 0.05 of 0 to ±0.3, so finite differences never straddle a ReLU's kink.
    static func awayFromZero(_ x: Tensor) -> Tensor {
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] = x.data[i] < 0 ? -0.3 : 0.3 }
        return x
    }

    static func randomTensor(_ n: Int, _ c: Int, _ h: Int, _ w: Int, _ rng: inout TestRNG) -> Tensor {
        Tensor(n: n, c: c, h: h, w: w, data: (0..<(n * c * h * w)).map { _ in rng.uniform() })
    }
}
