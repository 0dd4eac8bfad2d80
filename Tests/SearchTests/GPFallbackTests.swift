import ANASOD
import BayesOpt
@testable import Search
import Testing

/// A GP that cannot be fitted is no quiet change of strategy: the BO strategies still propose (random
/// draws instead), count the fallback and say it in a note their caller logs.
@Suite struct GPFallbackTests {
    let space = NB201SearchSpace()

    /// Targets that overflow when standardised without a warping: the GP's data are not finite.
    static let overflowing = 1.7e308

    func observeInitialDesign(_ strategy: inout some SearchStrategy, count: Int) {
        for p in strategy.propose(count: count, pending: []) {
            strategy.observe(Observation(architecture: p.architecture, value: Self.overflowing))
        }
        #expect(strategy.takeNotes().isEmpty)  // the initial design fits no GP
    }

    @Test func anasodBOFallsBackToANASODRSAndSaysSo() {
        var configuration = ANASODBO.Configuration()
        configuration.initialEvaluations = 2
        configuration.surrogate.warping = .none
        var strategy = ANASODBO(space: space, seed: 3, configuration: configuration)
        observeInitialDesign(&strategy, count: 6)
        let proposals = strategy.propose(count: 3, pending: [])
        #expect(proposals.count == 3 && Set(proposals.map(\.architecture)).count == 3)
        #expect(strategy.fallbacks == 1)
        let notes = strategy.takeNotes()
        #expect(notes.count == 1)
        #expect(notes.first?.contains("anasod-bo: the encoding GP could not be fitted on 6 results") == true, "\(notes)")
        #expect(notes.first?.contains("ANASOD-RS draws instead") == true)
        #expect(strategy.takeNotes().isEmpty)  // taken once
    }

    @Test func theCellModelFallsBackToUniformCellsAndSaysSo() {
        var configuration = ANASODBO.Configuration()
        configuration.initialEvaluations = 2
        configuration.withinEncoding = .cellModel
        configuration.cellSurrogate.warping = .none  // the encoding GP (rank-warped) fits; the cell GP cannot
        var strategy = ANASODBO(space: space, seed: 3, configuration: configuration)
        observeInitialDesign(&strategy, count: 6)
        #expect(strategy.propose(count: 3, pending: []).count == 3)
        #expect(strategy.fallbacks == 1)
        let notes = strategy.takeNotes()
        #expect(notes.count == 1 && notes.first?.contains("the cell-level GP could not be fitted") == true, "\(notes)")
    }

    @Test func oneHotBOFallsBackToRandomCellsAndSaysSo() {
        var configuration = OneHotBO.Configuration()
        configuration.initialEvaluations = 2
        configuration.surrogate.warping = .none
        var strategy = OneHotBO(space: space, seed: 3, configuration: configuration)
        observeInitialDesign(&strategy, count: 4)
        #expect(strategy.propose(count: 3, pending: []).count == 3)
        #expect(strategy.fallbacks == 1)
        let notes = strategy.takeNotes()
        #expect(notes.count == 1 && notes.first?.contains("onehot-bo: the GP could not be fitted on 4 results") == true, "\(notes)")
    }

    /// A batch whose candidates' joint covariance cannot be factored (the training points of a noise-free GP,
    /// each twice) is still chosen, and the fallback becomes the strategy's note, as ANASOD-BO and one-hot
    /// BO record it.
    @Test(arguments: [PendingPolicy.thompson, .qEI])
    func aBatchThatCannotBeSampledJointlyBecomesANote(policy: PendingPolicy) throws {
        let x: [[Double]] = [[0.1, 0.2], [0.5, 0.9], [0.8, 0.3], [0.3, 0.6]]
        let gp = try GaussianProcess(kernel: Matern52Kernel(), data: try GPData(points: x, targets: [1, 0, 2, 1]),
                                     hyperparameters: GPHyperparameters(lengthscales: [0.5, 0.5], outputScale: 1, noise: 0))
        let posterior = gp.posterior(at: (x + x).flatMap { $0 }, count: 8)
        let selection = BatchSelector(policy: policy, seed: 1).selection(count: 3, posterior: posterior, candidateCount: 8,
                                                                         best: 0, observed: [0])
        #expect(selection.picks.count == 3)
        var notes = FallbackNotes()
        let noted = notes.add(selection.fallback, strategy: "anasod-bo", batch: "3 over 8 encodings")
        #expect(noted)
        let taken = notes.take()
        #expect(taken.count == 1, "\(taken)")
        #expect(taken.first?.hasPrefix("anasod-bo: the batch of 3 over 8 encodings: the joint posterior could not be factored") == true,
                "\(taken)")
        let notedNone = notes.add(nil, strategy: "anasod-bo", batch: "3 over 8 encodings")
        #expect(!notedNone && notes.take().isEmpty)
    }

    @Test func notesAreBoundedWhenNobodyTakesThem() {
        var notes = FallbackNotes()
        for i in 0..<100 { notes.add("note \(i)") }
        let taken = notes.take()
        #expect(taken.count == notes.limit + 1 && taken.last == "68 more like these")
        #expect(notes.take().isEmpty)
    }
}
