import ANASOD
import Foundation
import Trainer

/// How long one evaluation of a cell takes in `anasod bench --workers`: constant, or proportional to the
/// cell's FLOPs or parameters in the full NB201 network (C=16, N=5, 32×32 inputs), with log-normal noise
/// (σ = `noise`, mean-preserving) drawn from the run's seed and the cell: the same seed gives the same
/// durations. Units: the mean cost over the whole space is 1 (`constant`: every evaluation takes 1).
struct TimeModel: Sendable {
    enum Kind: String, CaseIterable { case constant, flops, params }

    let kind: Kind
    let noise: Double
    /// Per cell index (NB201: 15,625 cells) the cost relative to the space's mean.
    private let relative: [Double]

    init(kind: Kind, noise: Double) {
        self.kind = kind
        self.noise = noise
        relative = kind == .constant ? [] : Self.costs(kind)
    }

    /// The simulated seconds of `architecture` in the run of `seed`.
    func duration(_ architecture: Architecture, seed: UInt64) -> Double {
        let space = NB201SearchSpace()
        let base = kind == .constant ? 1 : relative[space.index(of: architecture)]
        guard noise > 0 else { return base }
        // A standard normal from the seed and the cell (Box–Muller on two uniforms).
        var rng = SeededGenerator(seed: seed, stream: UInt64(space.index(of: architecture)) &+ 0x5EED)
        let u1 = max(Double.leastNonzeroMagnitude, Double.random(in: 0..<1, using: &rng)), u2 = Double.random(in: 0..<1, using: &rng)
        let z = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        return base * exp(noise * z - noise * noise / 2)  // mean-preserving log-normal factor
    }

    /// FLOPs or parameters of every NB201 cell's network, divided by their mean. A cell's cost depends only
    /// on how many 3×3 and 1×1 convolutions it has (pooling, skips and zeros cost no weights and next to
    /// no FLOPs), so one network per (n3×3, n1×1) pair is built.
    static func costs(_ kind: Kind) -> [Double] {
        let space = NB201SearchSpace()
        var byCounts = [Int: Double]()
        var rng = SeededGenerator(seed: 0)
        var values = [Double]()
        values.reserveCapacity(NB201SearchSpace.cellCount)
        for index in 0..<NB201SearchSpace.cellCount {
            let ops = space.architecture(at: index).cells[0].operations
            let n3 = ops.filter { NB201SearchSpace.operationNames[$0] == "nor_conv_3x3" }.count
            let n1 = ops.filter { NB201SearchSpace.operationNames[$0] == "nor_conv_1x1" }.count
            let key = n3 * 16 + n1
            if byCounts[key] == nil {
                // A representative cell with those counts: the convolutions first, the rest skips.
                let skip = NB201SearchSpace.operationNames.firstIndex(of: "skip_connect")!
                let c3 = NB201SearchSpace.operationNames.firstIndex(of: "nor_conv_3x3")!
                let c1 = NB201SearchSpace.operationNames.firstIndex(of: "nor_conv_1x1")!
                let representative = Array(repeating: c3, count: n3) + Array(repeating: c1, count: n1)
                    + Array(repeating: skip, count: 6 - n3 - n1)
                let network = NB201Network(operations: representative, channels: 16, cellsPerStage: 5, inputChannels: 3, classes: 10,
                                           rng: &rng)
                byCounts[key] = kind == .flops ? Double(2 * network.multiplyAccumulates(h: 32, w: 32)) : Double(network.parameterCount)
            }
            values.append(byCounts[key]!)
        }
        let mean = values.reduce(0, +) / Double(values.count)
        return values.map { $0 / mean }
    }
}
