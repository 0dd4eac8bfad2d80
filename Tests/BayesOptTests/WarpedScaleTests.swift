import BayesOpt
import Foundation
import Testing

/// `WarpedScale`: the way back from the GP's warped, standardised scale to the objective's.
@Suite struct WarpedScaleTests {
    let y = [9.1, 8.4, 30.2, 8.4, 90.0, 12.5, 10.0]

    @Test(arguments: OutputWarping.allCases)
    func everyObservedTargetMapsBackToItself(warping: OutputWarping) {
        let scale = WarpedScale(warping, targets: y)
        for (z, value) in zip(warping.transform(y), y) {
            #expect(abs(scale.original(z) - value) < 1e-9 * max(1, value))
        }
    }

    @Test func noneAndLogInvertInClosedForm() {
        // none: z·sd + mean with the population SD; log: exp of that on log y.
        let mean = y.reduce(0, +) / Double(y.count)
        let sd = (y.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(y.count)).squareRoot()
        #expect(abs(WarpedScale(.none, targets: y).original(0.7) - (0.7 * sd + mean)) < 1e-9)
        let logs = y.map { log($0) }
        let lm = logs.reduce(0, +) / Double(logs.count)
        let ls = (logs.map { ($0 - lm) * ($0 - lm) }.reduce(0, +) / Double(logs.count)).squareRoot()
        #expect(abs(WarpedScale(.log, targets: y).original(-1.3) - exp(-1.3 * ls + lm)) < 1e-9)
    }

    @Test func rankIsMonotoneBetweenAndBeyondTheKnots() {
        let scale = WarpedScale(.rank, targets: y)
        var previous = -Double.infinity
        for z in stride(from: -4.0, through: 4.0, by: 0.01) {
            let v = scale.original(z)
            #expect(v >= previous - 1e-12)
            previous = v
        }
        // Between two neighbouring knots: linear.
        let scores = OutputWarping.rank.transform(y)
        let a = scores[0], b = scores[5]  // 9.1 and 12.5 are neighbours in rank (10.0 lies between: use 9.1, 10.0)
        _ = (a, b)
        let s91 = scores[0], s100 = scores[6]
        #expect(abs(scale.original((s91 + s100) / 2) - (9.1 + 10.0) / 2) < 1e-9)
    }
}
