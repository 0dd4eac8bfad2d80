@testable import ANASOD
import Testing

@Suite struct LargestRemainderRoundingTests {
    /// Squared Euclidean distance between a grid point and m.
    func distance(_ n: [Int], _ m: [Double]) -> Double {
        zip(n, m).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }
    }

    @Test func equalsTheBruteForceNearestGridPoint() {
        var rng = SeededGenerator(seed: 42)
        var checked = 0
        for k in 2...8 {
            for total in 1...12 {
                let grid = EncodingGrid.allCounts(slots: total, operations: k)
                let flat = grid.flatMap { $0.map(Double.init) }
                for _ in 0..<40 {
                    let p = rng.nextDirichlet(Array(repeating: 0.7, count: k))
                    let m = p.map { $0 * Double(total) }
                    let rounded = largestRemainderRounding(m, total: total)
                    #expect(rounded.reduce(0, +) == total)
                    #expect(rounded.allSatisfy { $0 >= 0 })
                    // Brute force: the distance of every grid point, in one flat loop.
                    var best = Double.infinity, bestIndex = -1, ties = 0
                    flat.withUnsafeBufferPointer { g in
                        for row in 0..<grid.count {
                            var d = 0.0
                            for i in 0..<k {
                                let diff = g[row * k + i] - m[i]
                                d += diff * diff
                            }
                            if d < best - 1e-9 {
                                best = d; bestIndex = row; ties = 1
                            } else if abs(d - best) <= 1e-9 {
                                ties += 1
                            }
                        }
                    }
                    #expect(abs(distance(rounded, m) - best) < 1e-9, "k=\(k) N=\(total) m=\(m)")
                    if ties == 1 {
                        #expect(rounded == grid[bestIndex])
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 7 * 12 * 40)
    }

    @Test func gridPointsAreFixedPoints() {
        for n in EncodingGrid.allCounts(slots: 6, operations: 5) {
            #expect(largestRemainderRounding(n.map(Double.init), total: 6) == n)
        }
    }

    @Test func tiesGoToTheLowerIndex() {
        #expect(largestRemainderRounding([0.5, 0.5], total: 1) == [1, 0])
        #expect(largestRemainderRounding([1.0 / 3, 1.0 / 3, 1.0 / 3], total: 1) == [1, 0, 0])
        #expect(largestRemainderRounding([0.5, 0.5, 2.0], total: 3) == [1, 0, 2])
        #expect(largestRemainderRounding([0.25, 1.25, 1.5], total: 3) == [0, 1, 2])
    }

    @Test func floatingPointNearIntegersRoundsCorrectly() {
        #expect(largestRemainderRounding([2.9999999999, 1.0000000001], total: 4) == [3, 1])
        #expect(largestRemainderRounding([0.99999999, 0.99999999], total: 2) == [1, 1])
        #expect(largestRemainderRounding([6.0 * 0.1, 6.0 * 0.2, 6.0 * 0.7], total: 6) == [1, 1, 4])
    }

    @Test func gridSizeIsTheBinomial() {
        #expect(EncodingGrid.size(slots: 6, operations: 5) == 210)
        #expect(EncodingGrid.allCounts(slots: 6, operations: 5).count == 210)
        #expect(EncodingGrid.size(slots: 8, operations: 7) == 3003)
        for k in 1...6 {
            for n in 0...7 {
                let all = EncodingGrid.allCounts(slots: n, operations: k)
                #expect(all.count == EncodingGrid.size(slots: n, operations: k))
                #expect(Set(all).count == all.count)
            }
        }
    }
}
