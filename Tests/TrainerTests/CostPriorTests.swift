import ANASOD
import Testing
import Trainer

/// NB201's cost prior (`relativeCost`, a closed form of the network's multiply–accumulates) against the
/// MACs of the real network the Swift trainer builds, at every count of 3×3 and 1×1 convolutions.
@Suite struct CostPriorTests {
    @Test func nb201PriorIsTheNetworksMACsInMillions() {
        let space = NB201SearchSpace()
        var rng = SeededGenerator(seed: 0)
        for n3 in 0...6 {
            for n1 in 0...(6 - n3) {
                let ops = Array(repeating: 3, count: n3) + Array(repeating: 2, count: n1) + Array(repeating: 1, count: 6 - n3 - n1)
                let network = NB201Network(operations: ops, channels: 16, cellsPerStage: 5, inputChannels: 3, classes: 10, rng: &rng)
                let macs = Double(network.multiplyAccumulates(h: 32, w: 32)) / 1e6
                var counts = [0, 0, 0, 0, 0]
                for op in ops { counts[op] += 1 }
                let prior = space.relativeCost(counts: [counts])!
                #expect(abs(prior - macs) / macs < 0.05, "n3 \(n3) n1 \(n1): prior \(prior) M, network \(macs) M")
            }
        }
    }
}
