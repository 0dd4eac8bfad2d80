/// The operation-distribution encoding and its two decoders (Wan et al., arXiv 2111.04670, §3.2),
/// for every `SearchSpace`.
extension SearchSpace {
    /// The encoding p~ = n(o_i)/N of an architecture, one simplex per cell type.
    public func encode(_ architecture: Architecture) -> ArchitectureEncoding {
        ArchitectureEncoding(parts: architecture.cells.map {
            OperationDistribution(unchecked: $0.operationCounts(operationCount).map { Double($0) / Double(slotsPerCell) })
        })
    }

    /// The count vectors n of an architecture, one per cell type.
    public func counts(of architecture: Architecture) -> [[Int]] {
        architecture.cells.map { $0.operationCounts(operationCount) }
    }

    /// Checks that an encoding has one k-component part per cell type.
    /// - Throws: `ANASODError.Code.invalidDistribution` otherwise.
    public func validate(_ encoding: ArchitectureEncoding) throws {
        guard encoding.parts.count == cellTypes.count else {
            throw ANASODError(.invalidDistribution,
                              "\(name) encodings have \(cellTypes.count) part(s), got \(encoding.parts.count)")
        }
        for (t, part) in encoding.parts.enumerated() where part.count != operationCount {
            throw ANASODError(.invalidDistribution,
                              "\(cellTypes[t]) part has \(part.count) components, \(name) has \(operationCount) operations")
        }
    }

    /// **Rounding decoder**: round N·p~ of every cell type to the nearest grid point
    /// (`largestRemainderRounding`), place the m_r[i] copies of o_i on the N slots in a uniformly random
    /// order and draw the connectivity (where the space searches it). Every cell returned has encoding
    /// exactly m_r / N.
    public func roundingDecode(_ encoding: ArchitectureEncoding,
                               using rng: inout some RandomNumberGenerator) -> Architecture {
        precondition(encoding.parts.count == cellTypes.count && encoding.parts.allSatisfy { $0.count == operationCount },
                     "encoding does not fit \(name); call validate(_:) on user input first")
        var counts = encoding.counts(slots: slotsPerCell)
        if restrictsSlots {
            // Not every grid point has cells where slots are restricted: the nearest one that has.
            for (t, part) in encoding.parts.enumerated() {
                counts[t] = feasibleCounts(rounded: counts[t], target: part.probabilities.map { $0 * Double(slotsPerCell) }, cellType: t)
            }
        }
        return decode(counts: counts, using: &rng)
    }

    /// A uniformly random architecture among those with exactly the count vectors `counts`.
    public func decode(counts: [[Int]], using rng: inout some RandomNumberGenerator) -> Architecture {
        precondition(counts.count == cellTypes.count, "one count vector per cell type")
        var cells = [Cell]()
        for (t, n) in counts.enumerated() {
            precondition(n.count == operationCount && n.reduce(0, +) == slotsPerCell && n.allSatisfy { $0 >= 0 },
                         "counts \(n) are not a grid point of \(name)")
            precondition(!restrictsSlots || arrangementCount(n, cellType: t) > 0, "counts \(n) have no cell in \(name) (slots are restricted)")
            cells.append(Cell(operations: arrangement(n, cellType: t, using: &rng), inputs: drawInputs(using: &rng)))
        }
        return Architecture(cells: cells)
    }

    /// **Sampling decoder**: every slot independently draws op_j ~ Categorical(p~) of its cell type; the
    /// connectivity is drawn as in the rounding decoder. Needs no grid, so p~ may move continuously.
    public func samplingDecode(_ encoding: ArchitectureEncoding,
                               using rng: inout some RandomNumberGenerator) -> Architecture {
        precondition(encoding.parts.count == cellTypes.count && encoding.parts.allSatisfy { $0.count == operationCount },
                     "encoding does not fit \(name); call validate(_:) on user input first")
        var cells = [Cell]()
        for (t, part) in encoding.parts.enumerated() {
            var ops = [Int]()
            ops.reserveCapacity(slotsPerCell)
            for slot in 0..<slotsPerCell {
                guard restrictsSlots else {
                    ops.append(rng.nextCategorical(part.probabilities))
                    continue
                }
                // p~ over the operations the slot allows (uniform over them where p~ gives them nothing).
                let p = part.probabilities.indices.map { allows(cellType: t, slot: slot, operation: $0) ? part.probabilities[$0] : 0 }
                let mass = p.reduce(0, +)
                ops.append(rng.nextCategorical(mass > 0 ? p : p.indices.map { allows(cellType: t, slot: slot, operation: $0) ? 1 : 0 }))
            }
            cells.append(Cell(operations: ops, inputs: drawInputs(using: &rng)))
        }
        return Architecture(cells: cells)
    }

    /// A uniformly random architecture of the space (every slot uniform over the k operations).
    public func randomArchitecture(using rng: inout some RandomNumberGenerator) -> Architecture {
        var cells = [Cell]()
        for t in cellTypes.indices {
            var ops = [Int]()
            for slot in 0..<slotsPerCell {
                if restrictsSlots {
                    let allowed = (0..<operationCount).filter { allows(cellType: t, slot: slot, operation: $0) }
                    ops.append(allowed[rng.nextInt(below: allowed.count)])
                } else {
                    ops.append(rng.nextInt(below: operationCount))
                }
            }
            cells.append(Cell(operations: ops, inputs: drawInputs(using: &rng)))
        }
        return Architecture(cells: cells)
    }

    /// The number of encodings: C(N+k−1, k−1) raised to the number of cell types.
    public var encodingCount: Int {
        cellTypes.indices.reduce(1) { acc, t in
            let (product, overflow) = acc.multipliedReportingOverflow(by: cellEncodingCount(t))
            return overflow ? Int.max : product
        }
    }

    /// Cell type `t`'s grid points (that have cells, where slots are restricted).
    public func cellEncodingCount(_ t: Int) -> Int {
        restrictsSlots ? cellGrid(t).count : EncodingGrid.size(slots: slotsPerCell, operations: operationCount)
    }

    /// Every grid point of the space, as count vectors per cell type, lazily (DARTS has 3,003² of them).
    public func allEncodingCounts() -> EncodingGridSequence {
        guard restrictsSlots else {
            let grid = EncodingGrid.allCounts(slots: slotsPerCell, operations: operationCount)
            return EncodingGridSequence(grids: cellTypes.map { _ in grid })
        }
        return EncodingGridSequence(grids: cellTypes.indices.map(cellGrid))
    }

    /// Cell type `t`'s grid points that have cells (all of them unless slots are restricted).
    func cellGrid(_ t: Int) -> [[Int]] {
        let all = EncodingGrid.allCounts(slots: slotsPerCell, operations: operationCount)
        return restrictsSlots ? all.filter { arrangementCount($0, cellType: t) > 0 } : all  // one shared memo: cheap
    }
}

/// The product of the cell types' grids, enumerated lazily in mixed-radix order.
public struct EncodingGridSequence: Sequence, Sendable {
    let grids: [[[Int]]]

    public var underestimatedCount: Int { grids.reduce(1) { $0 * $1.count } }

    public func makeIterator() -> AnyIterator<[[Int]]> {
        var digits = [Int](repeating: 0, count: grids.count)
        var done = grids.contains { $0.isEmpty }
        return AnyIterator {
            guard !done else { return nil }
            let value = digits.enumerated().map { grids[$0.offset][$0.element] }
            var t = grids.count - 1
            while t >= 0 {
                digits[t] += 1
                if digits[t] < grids[t].count { break }
                digits[t] = 0
                t -= 1
            }
            if t < 0 { done = true }
            return value
        }
    }
}
