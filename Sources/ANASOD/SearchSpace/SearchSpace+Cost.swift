/// Priors for a cost model before any cell has been trained: the multiply–accumulates of the full network,
/// from the operation counts alone.
extension NB201SearchSpace {
    /// MACs of the NB201 network (C = 16, N = 5 cells a stage, 32×32 inputs) in millions: every stage has
    /// the same C²·H·W (16²·32², 32²·16², 64²·8²), so a 3×3 convolution edge costs 9·C²·H·W in each of the
    /// 15 cells and a 1×1 one C²·H·W (3.93 M for 15 cells), pooling, skips and zeros next to nothing; the
    /// stem and the two residual reduction blocks add 7.8 M whatever the cell.
    public func relativeCost(counts: [[Int]]) -> Double? {
        guard let cell = counts.first, cell.count == operations.count else { return nil }
        let conv3 = operations.firstIndex(of: "nor_conv_3x3").map { cell[$0] } ?? 0
        let conv1 = operations.firstIndex(of: "nor_conv_1x1").map { cell[$0] } ?? 0
        return 7.8 + 3.93 * Double(9 * conv3 + conv1)
    }
}

extension DARTSSearchSpace {
    /// A proxy of the DARTS network's MACs in units of one C² 1×1 convolution per edge at C = 36: a separable
    /// k×k convolution is two depthwise k×k (k²·C) and two pointwise (C²) layers, a dilated one one of each,
    /// pooling k²·C, skips and zeros none; each cell adds its two 1×1 preprocessing layers (2 units). Summed
    /// over the cell types (normal and reduction weigh alike: a prior, not a count).
    public func relativeCost(counts: [[Int]]) -> Double? {
        let c = 36.0
        let perEdge: [String: Double] = [
            "sep_conv_3x3": 2 * (9 * c + c * c) / (c * c), "sep_conv_5x5": 2 * (25 * c + c * c) / (c * c),
            "dil_conv_3x3": (9 * c + c * c) / (c * c), "dil_conv_5x5": (25 * c + c * c) / (c * c),
            "max_pool_3x3": 9 * c / (c * c), "avg_pool_3x3": 9 * c / (c * c),
        ]
        var total = 0.0
        for cell in counts {
            guard cell.count == operations.count else { return nil }
            total += 2
            for (k, n) in cell.enumerated() { total += Double(n) * (perEdge[operations[k]] ?? 0) }
        }
        return total
    }
}
