import ANASOD

extension DNASSearch {
    /// How ANASOD-DNAS turns p~* into cells.
    public enum Decoder: String, Sendable, CaseIterable {
        /// Counts rounded to the slots (largest remainder), arranged at random.
        case rounding
        /// Every edge drawn from p~* on its own.
        case sampling
    }

    /// The cells the search ends with, up to `count` distinct ones (fewer when the ending has fewer):
    /// `anasod`: decoded from p~*; `darts`: each edge's argmax (one cell); `darts-sampled`: each edge's
    /// operation drawn from its softmax.
    /// - Throws: `TrainerError.diverged` when `anasod`'s p~* is no distribution (the search diverged).
    public func finalCells(count: Int, decoder: Decoder = .rounding, seed: UInt64) throws -> [Architecture] {
        let space = NB201SearchSpace()
        var rng = SeededGenerator(seed: seed, stream: 0xF1A1)
        var cells = [Architecture](), seen = Set<Architecture>()
        func add(_ a: Architecture) { if seen.insert(a).inserted { cells.append(a) } }
        switch settings.method {
        case .darts:
            let ops = (0..<6).map { e -> Int in
                let w = supernet.edgeWeights(e)
                return w.indices.max { w[$0] < w[$1] }!
            }
            add(Architecture(cells: [Cell(operations: ops)]))
        case .dartsSampled:
            for _ in 0..<(100 * count) where cells.count < count {
                add(Architecture(cells: [Cell(operations: (0..<6).map { Self.draw(supernet.edgeWeights($0), &rng) })]))
            }
        case .anasod:
            let p: OperationDistribution
            do {
                p = try OperationDistribution(supernet.architecture)
            } catch let error as ANASODError {
                throw TrainerError(.diverged, "the search ended with no operation distribution to decode (\(error.message)): "
                                   + "it diverged; try a lower architecture learning rate")
            }
            let encoding = ArchitectureEncoding(parts: [p])
            for _ in 0..<(100 * count) where cells.count < count {
                add(decoder == .rounding ? space.roundingDecode(encoding, using: &rng) : space.samplingDecode(encoding, using: &rng))
            }
        }
        return cells
    }

    /// An index drawn with probabilities `p` (inverse CDF on one uniform).
    static func draw(_ p: [Double], _ rng: inout SeededGenerator) -> Int {
        let u = rng.nextUniform() * p.reduce(0, +)
        var total = 0.0
        for (j, w) in p.enumerated() {
            total += w
            if u < total { return j }
        }
        return p.count - 1
    }
}
