import ANASOD

/// How much of a cell's error its operation distribution explains: the paper's Table 1
/// (Wan et al., arXiv 2111.04670, §3.3) on an `NB201Table`.
///
/// All standard deviations are **population** SDs (divide by n). The within-encoding medians use the
/// encodings that hold at least 2 cells (an SD of one value is undefined; on NB201 5 of 210 encodings
/// have a single cell). "Best half" is the ⌊m/2⌋ encodings of lowest mean error among those m.
public struct EncodingAnalysis: Sendable {
    /// One encoding's statistics.
    public struct Group: Sendable {
        public var counts: [Int]
        public var cells: Int
        public var meanError: Double
        public var sdError: Double
        public var minError: Double
        /// The index of its best cell.
        public var bestCell: Int
    }

    /// Population SD of the error over every cell.
    public let overallSD: Double
    /// Median within-encoding SD over encodings with ≥ 2 cells.
    public let medianWithinSD: Double
    /// The same over the best-performing half of those encodings (by mean error).
    public let medianWithinSDBestHalf: Double
    /// Every encoding, sorted by mean error.
    public let groups: [Group]
    /// How many encodings hold at least 2 cells.
    public let groupsWithSpread: Int
    /// The number of cells analysed.
    public let cellCount: Int

    public init(table: NB201Table) {
        let space = NB201Table.space
        var byCounts = [[Int]: [Int]]()
        for index in table.errors.indices {
            byCounts[space.counts(of: space.architecture(at: index))[0], default: []].append(index)
        }
        var groups = [Group]()
        for (counts, members) in byCounts {
            let values = members.map { table.errors[$0] }
            let best = members.min { table.errors[$0] < table.errors[$1] }!
            groups.append(Group(counts: counts, cells: members.count, meanError: Self.mean(values),
                                sdError: Self.populationSD(values), minError: table.errors[best], bestCell: best))
        }
        groups.sort {
            $0.meanError != $1.meanError ? $0.meanError < $1.meanError : $0.counts.lexicographicallyPrecedes($1.counts)
        }
        self.groups = groups
        self.cellCount = table.errors.count
        self.overallSD = Self.populationSD(table.errors)
        let spread = groups.filter { $0.cells >= 2 }
        self.groupsWithSpread = spread.count
        self.medianWithinSD = Self.median(spread.map(\.sdError))
        self.medianWithinSDBestHalf = Self.median(spread.prefix(spread.count / 2).map(\.sdError))
    }

    /// The mean (NaN for no values).
    public static func mean(_ xs: [Double]) -> Double {
        xs.reduce(0, +) / Double(xs.count)
    }

    /// The population SD (divide by n; NaN for no values).
    public static func populationSD(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count)).squareRoot()
    }

    /// The median (NaN for no values).
    public static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return .nan }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
