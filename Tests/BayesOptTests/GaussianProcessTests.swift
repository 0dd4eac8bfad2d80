import ANASOD
@testable import BayesOpt
import Foundation
import Testing

@Suite struct GaussianProcessTests {
    let h = GPHyperparameters(lengthscales: [0.3, 0.7, 0.5], outputScale: 1.7, noise: 0.05)

    @Test(arguments: [KernelKind.matern52, .rbf])
    func posteriorMatchesTheClosedForm(kind: KernelKind) throws {
        var rng = SeededGenerator(seed: 1)
        let x = Reference.randomPoints(12, 3, &rng)
        let y = x.map { sin(3 * $0[0]) + $0[1] * $0[2] + 0.1 * rng.nextNormal() }
        let test = Reference.randomPoints(5, 3, &rng)
        let gp = try GaussianProcess(kernel: kind.kernel, data: try GPData(points: x, targets: y), hyperparameters: h)
        let posterior = gp.posterior(at: test.flatMap { $0 }, count: test.count)

        var k = Reference.kernelMatrix(kind.kernel, x, x, h)
        for i in k.indices { k[i][i] += h.noise }
        let kInv = Reference.inverse(k)
        let kStar = Reference.kernelMatrix(kind.kernel, test, x, h)
        for (j, ks) in kStar.enumerated() {
            let mean = zip(ks, Reference.matVec(kInv, y)).reduce(0) { $0 + $1.0 * $1.1 }
            let variance = h.outputScale - zip(ks, Reference.matVec(kInv, ks)).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(posterior.mean[j] - mean) < 1e-9)
            #expect(abs(posterior.variance[j] - variance) < 1e-9)
        }
    }

    @Test func replicatesFoldExactly() throws {
        // The same data given as replicates or as distinct points: same posterior, same marginal likelihood.
        var rng = SeededGenerator(seed: 2)
        let base = Reference.randomPoints(6, 3, &rng)
        var x = [[Double]](), y = [Double]()
        for (i, p) in base.enumerated() {
            for _ in 0...(i % 3) {
                x.append(p)
                y.append(p[0] - p[1] + 0.3 * rng.nextNormal())
            }
        }
        let data = try GPData(points: x, targets: y)
        #expect(data.count == 6)
        let kernel = Matern52Kernel()
        let lml = try GaussianProcess.logMarginalLikelihood(kernel: kernel, data: data, hyperparameters: h).value
        #expect(abs(lml - Reference.logMarginalLikelihood(kernel, x, y, h)) < 1e-8)

        let gp = try GaussianProcess(kernel: kernel, data: data, hyperparameters: h)
        let test = Reference.randomPoints(4, 3, &rng)
        let posterior = gp.posterior(at: test.flatMap { $0 }, count: 4)
        var k = Reference.kernelMatrix(kernel, x, x, h)
        for i in k.indices { k[i][i] += h.noise }
        let kInv = Reference.inverse(k)
        for (j, ks) in Reference.kernelMatrix(kernel, test, x, h).enumerated() {
            let mean = zip(ks, Reference.matVec(kInv, y)).reduce(0) { $0 + $1.0 * $1.1 }
            let variance = h.outputScale - zip(ks, Reference.matVec(kInv, ks)).reduce(0) { $0 + $1.0 * $1.1 }
            #expect(abs(posterior.mean[j] - mean) < 1e-9)
            #expect(abs(posterior.variance[j] - variance) < 1e-9)
        }
    }

    @Test(arguments: [KernelKind.matern52, .rbf])
    func likelihoodGradientMatchesFiniteDifferences(kind: KernelKind) throws {
        var rng = SeededGenerator(seed: 3)
        var x = Reference.randomPoints(15, 3, &rng)
        x += x.prefix(4)  // replicates exercise the within-group terms
        let y = x.map { $0[0] * 2 - $0[2] + 0.2 * rng.nextNormal() }
        let data = try GPData(points: x, targets: y)
        let analytic = try GaussianProcess.logMarginalLikelihood(kernel: kind.kernel, data: data, hyperparameters: h)
        let theta = h.logValues
        for j in theta.indices {
            let eps = 1e-5
            var plus = theta, minus = theta
            plus[j] += eps
            minus[j] -= eps
            let fPlus = try GaussianProcess.logMarginalLikelihood(kernel: kind.kernel, data: data,
                                                                  hyperparameters: GPHyperparameters(logValues: plus)).value
            let fMinus = try GaussianProcess.logMarginalLikelihood(kernel: kind.kernel, data: data,
                                                                   hyperparameters: GPHyperparameters(logValues: minus)).value
            let numeric = (fPlus - fMinus) / (2 * eps)
            #expect(abs(numeric - analytic.gradient[j]) < 1e-5 * max(1, abs(numeric)), "θ[\(j)]: \(numeric) vs \(analytic.gradient[j])")
        }
    }

    @Test func fittingRaisesTheLikelihood() throws {
        var rng = SeededGenerator(seed: 4)
        let x = Reference.randomPoints(40, 3, &rng)
        let y = x.map { sin(6 * $0[0]) + 0.05 * rng.nextNormal() }  // only dimension 0 matters
        let data = try GPData(points: x, targets: y)
        let kernel = Matern52Kernel()
        let start = GPHyperparameters(lengthscales: [0.5, 0.5, 0.5], outputScale: 1, noise: 0.1)
        let fitted = HyperparameterFitter(restarts: 3).fit(kernel: kernel, data: data, using: &rng)
        let before = try GaussianProcess.logMarginalLikelihood(kernel: kernel, data: data, hyperparameters: start).value
        let after = try GaussianProcess.logMarginalLikelihood(kernel: kernel, data: data, hyperparameters: fitted).value
        #expect(after > before + 10)
        #expect(fitted.lengthscales[0] < fitted.lengthscales[1])
        #expect(fitted.lengthscales[0] < fitted.lengthscales[2])
        #expect(fitted.noise < 0.05)
    }

    @Test func duplicateInputsWithoutNoiseDoNotCrash() throws {
        // Near-singular K: jitter escalation, never a crash.
        let x = [[0.1, 0.2], [0.1, 0.2 + 1e-9], [0.5, 0.5]]
        let data = try GPData(points: x, targets: [1, 1, 0])
        let tiny = GPHyperparameters(lengthscales: [100, 100], outputScale: 1, noise: 0)
        let gp = try GaussianProcess(kernel: RBFKernel(), data: data, hyperparameters: tiny)
        #expect(gp.cholesky.jitter > 0)
        #expect(gp.predict([0.3, 0.3]).mean.isFinite)
    }

    @Test func rejectsNonFiniteTargets() {
        #expect(throws: BayesOptError.self) { try GPData(points: [[0.0]], targets: [.nan]) }
        #expect(throws: BayesOptError.self) { try GPData(points: [[0.0], [1.0]], targets: [1]) }
    }
}

@Suite struct PoolPosteriorTests {
    @Test func conditioningEqualsRefittingWithTheFantasy() throws {
        var rng = SeededGenerator(seed: 5)
        let h = GPHyperparameters(lengthscales: [0.4, 0.4], outputScale: 1.3, noise: 0.02)
        let x = Reference.randomPoints(8, 2, &rng)
        let y = x.map { $0[0] - $0[1] }
        let pool = Reference.randomPoints(6, 2, &rng)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: y), hyperparameters: h)
        var posterior = gp.posterior(at: pool.flatMap { $0 }, count: 6)
        posterior.condition(on: 2, value: 0.7)
        posterior.condition(on: 4, value: posterior.mean[4])  // kriging believer

        let refit = try GaussianProcess(kernel: Matern52Kernel(),
                                        data: try GPData(points: x + [pool[2], pool[4]], targets: y + [0.7, posterior.mean[4]]),
                                        hyperparameters: h)
        let direct = refit.posterior(at: pool.flatMap { $0 }, count: 6)
        for j in 0..<6 {
            #expect(abs(posterior.mean[j] - direct.mean[j]) < 1e-9)
            #expect(abs(posterior.variance[j] - direct.variance[j]) < 1e-9)
        }
    }

    @Test func conditioningOnceWithMultiplicityEqualsConditioningRepeatedly() throws {
        var rng = SeededGenerator(seed: 9)
        let h = GPHyperparameters(lengthscales: [0.5, 0.3], outputScale: 0.9, noise: 0.05)
        let x = Reference.randomPoints(7, 2, &rng)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: x.map { $0[0] * $0[1] }),
                                     hyperparameters: h)
        let pool = Reference.randomPoints(5, 2, &rng)
        var repeated = gp.posterior(at: pool.flatMap { $0 }, count: 5)
        var folded = repeated
        // Point 1 pending four times at one value, point 3 three times at the believer's value.
        for _ in 0..<4 { repeated.condition(on: 1, value: 0.3) }
        let believed = repeated.mean[3]
        for _ in 0..<3 { repeated.condition(on: 3, value: believed) }
        folded.condition(on: 1, value: 0.3, multiplicity: 4)
        folded.condition(on: 3, value: believed, multiplicity: 3)
        for j in 0..<5 {
            #expect(abs(folded.mean[j] - repeated.mean[j]) < 1e-10)
            #expect(abs(folded.variance[j] - repeated.variance[j]) < 1e-10)
        }
        // And a later pick sees the same covariances either way.
        let a = repeated.covariance(with: 0), b = folded.covariance(with: 0)
        for j in 0..<5 { #expect(abs(a[j] - b[j]) < 1e-10) }
    }

    @Test func choleskyAppendEqualsRefactoring() throws {
        let a: [Double] = [4, 2, 0.5, 2, 5, 1, 0.5, 1, 3]
        let small = try Cholesky(matrix: [4, 2, 2, 5], size: 2)
        let grown = try small.appending(column: [0.5, 1], diagonal: 3)
        let full = try Cholesky(matrix: a, size: 3)
        for i in 0..<9 { #expect(abs(grown.factor[i] - full.factor[i]) < 1e-12) }
    }
}

/// Thompson sampling from the joint posterior over a pool.
@Suite struct ThompsonSelectionTests {
    func posterior() throws -> PoolPosterior {
        var rng = SeededGenerator(seed: 9)
        let h = GPHyperparameters(lengthscales: [0.3, 0.3], outputScale: 1, noise: 0.01)
        let x = Reference.randomPoints(12, 2, &rng)
        let y = x.map { $0[0] + $0[1] }  // lowest towards the origin
        let pool = Reference.randomPoints(40, 2, &rng)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: y), hyperparameters: h)
        return gp.posterior(at: pool.flatMap { $0 }, count: 40)
    }

    @Test func samplesAreSeededAndRespectCapacity() throws {
        let p = try posterior()
        let selector = BatchSelector(policy: .thompson, seed: 3)
        let a = selector.select(count: 8, posterior: p, candidateCount: 40, best: 0, observed: [0])
        #expect(a == selector.select(count: 8, posterior: p, candidateCount: 40, best: 0, observed: [0]))
        #expect(a != BatchSelector(policy: .thompson, seed: 4).select(count: 8, posterior: p, candidateCount: 40, best: 0, observed: [0]))
        // Once each (the default capacity), so eight distinct points.
        #expect(Set(a).count == 8)
        // Capacity 0 excludes a point, capacity 3 allows repeats.
        var capacity = [Int](repeating: 0, count: 40)
        capacity[5] = 3
        capacity[7] = 1
        let limited = selector.select(count: 8, posterior: p, candidateCount: 40, best: 0, observed: [0], capacity: capacity)
        #expect(limited.sorted() == [5, 5, 5, 7])
    }

    /// With little posterior uncertainty the samples' minima are the posterior mean's minima.
    @Test func picksConcentrateWhereTheMeanIsLow() throws {
        let p = try posterior()
        let picks = BatchSelector(policy: .thompson, seed: 1).select(count: 10, posterior: p, candidateCount: 40, best: 0, observed: [0])
        let meanOfPicks = picks.map { p.mean[$0] }.reduce(0, +) / Double(picks.count)
        let meanOfPool = p.mean.reduce(0, +) / Double(p.mean.count)
        #expect(meanOfPicks < meanOfPool)
    }
}

/// Greedy Monte-Carlo q-EI and the exploration split of a batch.
@Suite struct BatchPolicyTests {
    func posterior() throws -> PoolPosterior {
        var rng = SeededGenerator(seed: 21)
        let h = GPHyperparameters(lengthscales: [0.3, 0.3], outputScale: 1, noise: 0.01)
        let x = Reference.randomPoints(12, 2, &rng)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: x.map { $0[0] + $0[1] }),
                                     hyperparameters: h)
        return gp.posterior(at: Reference.randomPoints(30, 2, &rng).flatMap { $0 }, count: 30)
    }

    @Test func qEIIsSeededDiverseAndStartsAtTheBestSinglePoint() throws {
        let p = try posterior()
        let best = 0.0
        let selector = BatchSelector(policy: .qEI, seed: 2)
        let picks = selector.select(count: 6, posterior: p, candidateCount: 30, best: best, observed: [best])
        #expect(picks == selector.select(count: 6, posterior: p, candidateCount: 30, best: best, observed: [best]))
        #expect(Set(picks).count == 6)
        // The first pick maximises the sampled EI of one new observation: within sampling error of the
        // analytic maximum.
        func ei(_ j: Int) -> Double { exp(ExpectedImprovement().logValue(mean: p.mean[j], variance: p.variance[j] + p.noise, best: best)) }
        let top = (0..<30).map(ei).max()!
        #expect(ei(picks[0]) >= 0.8 * top, "\(ei(picks[0])) vs \(top)")
    }

    @Test func theExplorationShareComesFromTheExplorationPool() throws {
        let p = try posterior()
        let exploring = (0..<30).map { $0 >= 20 }
        let picks = BatchSelector(policy: .krigingBeliever).select(count: 8, posterior: p, candidateCount: 30, best: 0, observed: [0],
                                                                   exploration: (exploring, 0.5))
        #expect(picks.count == 8)
        #expect(picks.suffix(4).allSatisfy { $0 >= 20 }, "\(picks)")
    }
}

/// Thompson sampling and q-EI need the candidates' joint covariance factored; when it cannot be, the batch
/// is still chosen (independent marginals; kriging believer) and the selection says it fell back.
@Suite struct JointFallbackTests {
    /// Candidates at the training points of a noise-free GP, each twice: their posterior covariance is zero
    /// up to rounding, a matrix no jitter relative to its own diagonal makes positive definite.
    func degenerate() throws -> PoolPosterior {
        var rng = SeededGenerator(seed: 5)
        let x = Reference.randomPoints(6, 2, &rng)
        let h = GPHyperparameters(lengthscales: [0.5, 0.5], outputScale: 1, noise: 0)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: x.map { $0[0] - $0[1] }),
                                     hyperparameters: h)
        return gp.posterior(at: (x + x).flatMap { $0 }, count: 12)
    }

    @Test func theDegeneratePoolCannotBeFactored() throws {
        let p = try degenerate()
        #expect(throws: BayesOptError.self) { try BatchSelector(policy: .thompson).jointFactor(p, 12) }
    }

    @Test(arguments: [PendingPolicy.thompson, .qEI])
    func aBatchThatCannotBeSampledJointlyFallsBackAndSaysSo(policy: PendingPolicy) throws {
        let p = try degenerate()
        let selection = BatchSelector(policy: policy, seed: 7).selection(count: 4, posterior: p, candidateCount: 12, best: 0,
                                                                         observed: [0])
        #expect(selection.picks.count == 4 && Set(selection.picks).count == 4, "\(selection.picks)")
        let fallback = try #require(selection.fallback)
        #expect(fallback.policy == policy)
        #expect((fallback.error as? BayesOptError)?.code == .notPositiveDefinite)
        #expect("\(fallback)".contains("the joint posterior could not be factored"))
        #expect("\(fallback)".contains(policy == .qEI ? "kriging believer instead" : "independent marginals instead"))
    }

    @Test(arguments: [PendingPolicy.thompson, .qEI, .krigingBeliever])
    func aFactorablePoolTakesNoFallback(policy: PendingPolicy) throws {
        var rng = SeededGenerator(seed: 5)
        let x = Reference.randomPoints(6, 2, &rng)
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: x.map { $0[0] }),
                                     hyperparameters: GPHyperparameters(lengthscales: [0.5, 0.5], outputScale: 1, noise: 0.01))
        let p = gp.posterior(at: Reference.randomPoints(10, 2, &rng).flatMap { $0 }, count: 10)
        let selection = BatchSelector(policy: policy, seed: 7).selection(count: 3, posterior: p, candidateCount: 10, best: 0,
                                                                         observed: [0])
        #expect(selection.picks.count == 3 && selection.fallback == nil)
    }
}
