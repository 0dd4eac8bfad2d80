import ANASOD
import BayesOpt
import Foundation
@testable import Search
import Testing

/// `SurrogateView`: a BO strategy's own GP, read back on the objective's scale, against the closed-form GP
/// posterior on a hand-made study.
@Suite struct SurrogateViewTests {
    let space = NB201SearchSpace()

    /// Seven NB201 cells (the first three at one encoding, as cells of one encoding often are) and their errors,
    /// with a cliff (a cell without a path from input to output trains to 90 %).
    static let cells: [(String, Double)] = [
        ("|nor_conv_3x3~0|+|none~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|avg_pool_3x3~2|", 17.7),
        ("|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|avg_pool_3x3~1|none~2|", 19.5),
        ("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|avg_pool_3x3~2|", 21.0),
        ("|skip_connect~0|+|skip_connect~0|skip_connect~1|+|none~0|skip_connect~1|nor_conv_1x1~2|", 29.4),
        ("|none~0|+|none~0|none~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|", 90.2),
        ("|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_1x1~2|", 24.4),
        ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|", 21.3),
    ]

    /// ANASOD-BO with `warping` after the hand-made study: one propose call per cell, then its result.
    func strategy(warping: OutputWarping, cellModel: Bool = false) throws -> ANASODBO {
        var configuration = ANASODBO.Configuration()
        configuration.initialEvaluations = 3
        configuration.surrogate.warping = warping
        if cellModel { configuration.withinEncoding = .cellModel }
        var bo = ANASODBO(space: space, seed: 5, configuration: configuration)
        for (text, value) in Self.cells {
            let a = try space.parse(text)
            bo.replay([.proposed([Proposal(architecture: a, encoding: space.encode(a))]), .observed(Observation(architecture: a, value: value))])
        }
        return bo
    }

    /// Matérn-5/2 with ARD length scales, written out.
    static func matern(_ a: [Double], _ b: [Double], _ h: GPHyperparameters) -> Double {
        let r = zip(zip(a, b), h.lengthscales).map { pair, l in (pair.0 - pair.1) / l }.map { $0 * $0 }.reduce(0, +).squareRoot()
        let s = 5.0.squareRoot() * r
        return h.outputScale * (1 + s + s * s / 3) * exp(-s)
    }

    /// x = A⁻¹ b by Gauss–Jordan elimination with partial pivoting (A small and positive definite).
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = zip(a, b).map { $0 + [$1] }
        let n = b.count
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            m.swapAt(c, p)
            for r in 0..<n where r != c {
                let f = m[r][c] / m[c][c]
                for k in c...n { m[r][k] -= f * m[c][k] }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] }
    }

    /// Without warping, the view's mean is the GP's posterior mean μ(x) = k(x, X)ᵀ (K + σ_n² I)⁻¹ z scaled back
    /// (μ · sd + mean of the errors), and its band (μ ± 2σ) · sd + mean, σ² = k(x, x) − k(x, X)ᵀ (K + σ_n² I)⁻¹ k(x, X):
    /// computed here on every observation, the three at one encoding included (the GP folds them into one).
    @Test func withoutWarpingTheViewIsTheClosedFormPosteriorScaledBack() throws {
        let view = try strategy(warping: .none).surrogateView()
        #expect(view.input == .encoding && view.warping == .none && view.observations == 7 && view.distinctInputs == 5)
        let h = view.hyperparameters
        let x = try Self.cells.map { space.encode(try space.parse($0.0)).vector }
        let y = Self.cells.map(\.1)
        let mean = y.reduce(0, +) / Double(y.count)
        let sd = (y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.count)).squareRoot()
        let z = y.map { ($0 - mean) / sd }
        let k = x.indices.map { i in x.indices.map { j in Self.matern(x[i], x[j], h) + (i == j ? h.noise : 0) } }
        let alpha = Self.solve(k, z)
        let queries = [x[0], x[4], [0.5, 0, 0, 0.5, 0], [0.2, 0.2, 0.2, 0.2, 0.2], [0, 0, 0, 1, 0]]
        let predictions = view.predict(queries)
        for (q, p) in zip(queries, predictions) {
            let kx = x.map { Self.matern(q, $0, h) }
            let mu = zip(kx, alpha).map { $0 * $1 }.reduce(0, +)
            let v = Self.solve(k, kx)
            let sigma = max(0, h.outputScale - zip(kx, v).map { $0 * $1 }.reduce(0, +)).squareRoot()
            #expect(abs(p.warpedMean - mu) < 1e-6 && abs(p.warpedSD - sigma) < 1e-6, "\(q): \(p) vs μ \(mu), σ \(sigma)")
            #expect(abs(p.mean - (mu * sd + mean)) < 1e-6)
            #expect(abs(p.lower - ((mu - 2 * sigma) * sd + mean)) < 1e-6)
            #expect(abs(p.upper - ((mu + 2 * sigma) * sd + mean)) < 1e-6)
        }
        // Cells are predicted at their encodings: the three of one encoding alike.
        let cells = try Self.cells.prefix(3).map { try space.parse($0.0) }
        #expect(view.predict(architectures: cells) == [predictions[0], predictions[0], predictions[0]])
    }

    /// With rank warping the GP sees normal scores; the view maps μ and μ ± 2σ back through the same
    /// `WarpedScale` the strategy's model carries, so the band is asymmetric about the mean (the cliff to
    /// 90 % stretches it upwards).
    @Test func withRankWarpingTheBandIsMappedBackThroughTheWarping() throws {
        let view = try strategy(warping: .rank).surrogateView()
        #expect(view.warping == .rank && view.kernel == .matern52)
        let scale = WarpedScale(.rank, targets: Self.cells.map(\.1))
        let grid: [[Double]] = [[1.0 / 3, 0, 1.0 / 6, 1.0 / 6, 1.0 / 3], [0.5, 0, 0, 0.5, 0], [1, 0, 0, 0, 0]]
        var asymmetric = false
        for p in view.predict(grid) {
            let mu = p.warpedMean, sigma = p.warpedSD
            #expect(abs(p.mean - scale.original(mu)) < 1e-9)
            #expect(abs(p.lower - scale.original(mu - 2 * sigma)) < 1e-9)
            #expect(abs(p.upper - scale.original(mu + 2 * sigma)) < 1e-9)
            #expect(p.lower <= p.mean && p.mean <= p.upper)
            let above = p.upper - p.mean, below = p.mean - p.lower
            if abs(above - below) > 0.1 { asymmetric = true }
        }
        #expect(asymmetric)
        #expect(view.label.contains("anasod-bo's encoding GP") && view.label.contains("rank warping")
                    && view.label.contains("7 results at 5 encodings"), "\(view.label)")
    }

    /// The two-stage strategy's view is its encoding GP, and its label says so.
    @Test func theTwoStageViewIsItsEncodingGPAndSaysSo() throws {
        let view = try strategy(warping: .rank, cellModel: true).surrogateView()
        #expect(view.input == .encoding && view.strategy == "anasod-bo-2s")
        #expect(view.label.hasPrefix("anasod-bo-2s's encoding GP (the first of its two stages"), "\(view.label)")
        // The same encoding GP as the one-stage strategy's on the same results.
        let one = try strategy(warping: .rank).surrogateView()
        #expect(view.predict([[0.5, 0, 0, 0.5, 0]]) == one.predict([[0.5, 0, 0, 0.5, 0]]))
    }

    /// Looking changes nothing: the strategy proposes what an untouched copy proposes.
    @Test func readingTheViewLeavesTheStrategyAsItWas() throws {
        var looked = try strategy(warping: .rank)
        var untouched = looked
        _ = try looked.surrogateView()
        #expect(looked.propose(count: 2, pending: []) == untouched.propose(count: 2, pending: []))
    }

    /// Before its GP, a strategy says it has none yet; the one-hot baseline's view is on its cells.
    @Test func noViewDuringTheInitialDesignAndOneHotBOsIsOnCells() throws {
        var configuration = ANASODBO.Configuration()
        configuration.initialEvaluations = 10
        var bo = ANASODBO(space: space, seed: 1, configuration: configuration)
        var onehot = OneHotBO(space: space, seed: 1)
        for (text, value) in Self.cells {
            let a = try space.parse(text)
            let events: [StrategyEvent] = [.proposed([Proposal(architecture: a, encoding: space.encode(a))]),
                                           .observed(Observation(architecture: a, value: value))]
            bo.replay(events)
            onehot.replay(events)
        }
        #expect(throws: SurrogateView.Unavailable.initialDesign(strategy: "anasod-bo", results: 7, needed: 10)) {
            try bo.surrogateView()
        }
        #expect(throws: SurrogateView.Unavailable.initialDesign(strategy: "onehot-bo", results: 7, needed: 10)) {
            try onehot.surrogateView()
        }
        for (text, value) in [("|avg_pool_3x3~0|+|none~0|nor_conv_3x3~1|+|nor_conv_3x3~0|avg_pool_3x3~1|nor_conv_1x1~2|", 22.5),
                              ("|nor_conv_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|avg_pool_3x3~1|none~2|", 20.5),
                              ("|nor_conv_3x3~0|+|nor_conv_1x1~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|avg_pool_3x3~2|", 23.3)] {
            let a = try space.parse(text)
            onehot.replay([.proposed([Proposal(architecture: a, encoding: space.encode(a))]), .observed(Observation(architecture: a, value: value))])
        }
        let view = try onehot.surrogateView()
        #expect(view.input == .cell && view.observations == 10 && view.hyperparameters.lengthscales.count == CellFeatures(space: space).dimension)
        let best = try space.parse(Self.cells[0].0), cliff = try space.parse(Self.cells[4].0)
        let p = view.predict(architectures: [best, cliff])
        #expect(p[0].mean < p[1].mean)
        #expect(view.label.contains("over 30 inputs"), "\(view.label)")  // 6 slots × 5 operations: a range, not 30 numbers
    }
}

extension SurrogateViewTests {
    /// 40 random NB201 cells, a third of their edges `none`; the error grows with the shares of `none`, skip
    /// and pooling, and a cell without a path from input to output trains to 90 % (NB201's cliff). With this
    /// seed one cell of the 40 falls off it: enough to flatten a GP that sees raw errors.
    static func cliffStudy(space: NB201SearchSpace, seed: UInt64 = 9) -> [(architecture: Architecture, error: Double)] {
        var rng = SeededGenerator(seed: seed)
        return (0..<40).map { _ in
            let ops = (0..<6).map { _ in rng.next() % 100 < 30 ? 0 : 1 + Int(rng.next() % 4) }
            let a = Architecture(cells: [Cell(operations: ops)])
            let c = space.counts(of: a)[0].map(Double.init)
            // Edges 0→1, 0→2, 1→2, 0→3, 1→3, 2→3; `none` (0) cuts one.
            let reaches1 = ops[0] != 0, reaches2 = ops[1] != 0 || (reaches1 && ops[2] != 0)
            let path = ops[3] != 0 || (reaches1 && ops[4] != 0) || (reaches2 && ops[5] != 0)
            let noise = Double(rng.next() % 1000) / 500
            return (a, path ? 18 + 1.2 * c[0] + 1.5 * c[1] + 0.6 * c[4] - 0.4 * c[3] + noise : 90)
        }
    }

    /// The report's GP view before it showed the strategy's own: a GP of its own (Matérn-5/2, maximum
    /// likelihood, targets standardised, no warping) on every result; its mean at `points` on the error's scale.
    static func unwarpedMeans(_ x: [[Double]], _ y: [Double], at points: [[Double]]) throws -> [Double] {
        let mean = y.reduce(0, +) / Double(y.count)
        let sd = (y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.count)).squareRoot()
        let data = try GPData(points: x, targets: y.map { ($0 - mean) / sd })
        var rng = SeededGenerator(seed: 1)
        let hyper = HyperparameterFitter().fit(kernel: Matern52Kernel(), data: data, using: &rng)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: data, hyperparameters: hyper)
        return points.map { mean + sd * gp.predict($0).mean }
    }

    /// One failed cell among 40 pulls a GP on raw errors towards their mean: its means over the evaluated
    /// encodings barely differ, and none comes within 2.5 points of the best error seen. The strategy's own rank-warped
    /// GP keeps their spread and rates the best of them about where they were observed.
    @Test func whereAnUnwarpedGPIsFlatTheStrategysViewIsNot() throws {
        let study = Self.cliffStudy(space: space)
        #expect(study.filter { $0.error == 90 }.count == 1)
        var byEncoding = [[Double]: [Double]]()
        for (a, e) in study { byEncoding[space.encode(a).vector, default: []].append(e) }
        let points = byEncoding.keys.sorted { $0.lexicographicallyPrecedes($1) }
        let observed = points.map { byEncoding[$0]!.reduce(0, +) / Double(byEncoding[$0]!.count) }
        func iqr(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count * 3 / 4] - s[s.count / 4] }

        let old = try Self.unwarpedMeans(study.map { space.encode($0.architecture).vector }, study.map(\.error), at: points)
        var strategy = try StrategyFactory.make("anasod-bo-2s", space: space, seed: 0)
        strategy.replay(study.flatMap { a, e -> [StrategyEvent] in
            [.proposed([Proposal(architecture: a, encoding: space.encode(a))]), .observed(Observation(architecture: a, value: e))]
        })
        let new = try #require(strategy as? ANASODBO).surrogateView().predict(points).map(\.mean)

        let best = observed.min()!
        #expect(iqr(old) < 0.5 * iqr(observed), "old view: IQR \(iqr(old)) of means against \(iqr(observed)) observed")
        #expect(old.min()! > best + 2.5, "old view: lowest mean \(old.min()!), best seen \(best)")
        #expect(iqr(new) > 0.75 * iqr(observed), "strategy's view: IQR \(iqr(new)) of means against \(iqr(observed)) observed")
        #expect(new.min()! < best + 1.5, "strategy's view: lowest mean \(new.min()!), best seen \(best)")
    }
}
