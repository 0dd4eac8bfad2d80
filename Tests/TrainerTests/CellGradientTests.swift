import Testing
@testable import Trainer

@Suite struct CellGradientTests {
    @Test(arguments: [[3, 0, 3, 1, 0, 1], [4, 2, 1, 3, 4, 2], [1, 1, 1, 1, 1, 1], [0, 4, 0, 2, 0, 4], [3, 3, 3, 3, 3, 3],
                      [0, 0, 0, 1, 0, 0], [3, 0, 0, 1, 0, 0]])
    func cell(operations: [Int]) {
        var rng = TestRNG(state: 77)
        let cell = NB201Cell(channels: 2, operations: operations, rng: &rng)
        GradientCheck.check(cell, input: GradientCheck.randomTensor(3, 2, 4, 4, &rng), rng: &rng, samples: 30, eps: 3e-4, kinkAllowance: 0.1)
    }

    @Test func reduction() {
        var rng = TestRNG(state: 78)
        GradientCheck.check(ResidualReduction(2, 4, rng: &rng), input: GradientCheck.randomTensor(3, 2, 6, 6, &rng), rng: &rng,
                            samples: 30, eps: 3e-4, kinkAllowance: 0.1)
    }

    @Test func reluConvBN() {
        var rng = TestRNG(state: 79)
        let s = Sequential([ReLU(), Conv2D(2, 2, kernel: 3, padding: 1, rng: &rng), BatchNorm2D(2)])
        GradientCheck.check(s, input: GradientCheck.randomTensor(3, 2, 4, 4, &rng), rng: &rng, samples: 30, eps: 3e-4, kinkAllowance: 0.1)
    }
}
