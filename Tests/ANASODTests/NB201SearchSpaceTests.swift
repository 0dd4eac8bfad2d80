@testable import ANASOD
import Testing

@Suite struct NB201SearchSpaceTests {
    let space = NB201SearchSpace()

    @Test func everyCellRoundTripsThroughItsString() throws {
        var encodings = Set<[[Int]]>()
        for index in 0..<NB201SearchSpace.cellCount {
            let arch = space.architecture(at: index)
            let text = space.format(arch)
            let parsed = try space.parse(text)
            #expect(parsed == arch)
            #expect(space.index(of: parsed) == index)
            encodings.insert(space.counts(of: arch))
        }
        #expect(encodings.count == 210)
        #expect(space.encodingCount == 210)
    }

    @Test func parsesTheDocumentedFormat() throws {
        let arch = try space.parse("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|")
        #expect(arch.cells[0].operations == [3, 0, 3, 1, 0, 1])
        #expect(arch.cells[0].inputs == [0, 0, 1, 0, 1, 2])
        #expect(space.counts(of: arch) == [[2, 2, 0, 2, 0]])
        try space.validate(arch)
    }

    @Test(arguments: [
        ("", "empty"),
        ("nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", "position 1"),
        ("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|", "node 3 needs 3"),
        ("|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2", "position 55"),
        ("|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|", "unknown operation 'conv' at position 2"),
        ("|none~1|+|none~0|none~1|+|none~0|none~1|none~2|", "must come from node 0"),
        ("|none0|+|none~0|none~1|+|none~0|none~1|none~2|", "expected '~'"),
        ("|none~|+|none~0|none~1|+|none~0|none~1|none~2|", "position 7"),
        ("|none~0|+|none~0|none~1|", "3 node groups"),
        ("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|+|none~0|", "found 4"),
    ])
    func rejectsMalformedStringsWithThePosition(text: String, expected: String) {
        do {
            _ = try space.parse(text)
            Issue.record("'\(text)' parsed")
        } catch let error as ANASODError {
            #expect(error.code == .malformedArchitecture)
            #expect(error.message.contains(expected), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func roundingDecoderGivesExactlyTheRequestedCounts() throws {
        var rng = SeededGenerator(seed: 11)
        for counts in EncodingGrid.allCounts(slots: 6, operations: 5) {
            let encoding = try ArchitectureEncoding(counts: [counts])
            for _ in 0..<5 {
                let arch = space.roundingDecode(encoding, using: &rng)
                try space.validate(arch)
                #expect(space.counts(of: arch) == [counts])
            }
        }
    }

    @Test func roundingDecoderIsUniformOverTheCellsOfAnEncoding() throws {
        // [2, 2, 0, 2, 0] has 6! / (2! 2! 2!) = 90 cells.
        var rng = SeededGenerator(seed: 12)
        let encoding = try ArchitectureEncoding(counts: [[2, 2, 0, 2, 0]])
        var histogram = [Int: Int]()
        let n = 45_000
        for _ in 0..<n { histogram[space.index(of: space.roundingDecode(encoding, using: &rng)), default: 0] += 1 }
        #expect(histogram.count == 90)
        let expected = Double(n) / 90
        let chi2 = histogram.values.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chi2 < 140)  // χ²(89) 0.999 quantile ≈ 135.9
    }

    @Test func samplingDecoderFollowsTheDistribution() throws {
        var rng = SeededGenerator(seed: 13)
        let p = try OperationDistribution([0.1, 0.2, 0.3, 0.4, 0.0])
        let encoding = ArchitectureEncoding(parts: [p])
        var counts = [Double](repeating: 0, count: 5)
        let n = 10_000
        for _ in 0..<n {
            let arch = space.samplingDecode(encoding, using: &rng)
            for (i, c) in space.counts(of: arch)[0].enumerated() { counts[i] += Double(c) }
        }
        #expect(counts[4] == 0)
        for i in 0..<4 {
            let q = p.probabilities[i]
            let slots = Double(6 * n)
            #expect(abs(counts[i] / slots - q) < 5 * (q * (1 - q) / slots).squareRoot())
        }
    }

    @Test func sameSeedSameDecodedCells() throws {
        let encoding = ArchitectureEncoding(parts: [try OperationDistribution([0.3, 0.1, 0.2, 0.3, 0.1])])
        var a = SeededGenerator(seed: 99)
        var b = SeededGenerator(seed: 99)
        let first = (0..<50).map { _ in space.roundingDecode(encoding, using: &a) }
        let second = (0..<50).map { _ in space.roundingDecode(encoding, using: &b) }
        #expect(first == second)
    }

    @Test func roundingOffGridPointsUsesLargestRemainder() throws {
        // N·p = [1.8, 1.2, 0.6, 1.8, 0.6] → floors [1,1,0,1,0], g = 3: components 0 and 3 (0.8), then the
        // tie at 0.6 between components 2 and 4.
        let encoding = ArchitectureEncoding(parts: [try OperationDistribution([0.3, 0.2, 0.1, 0.3, 0.1])])
        #expect(encoding.counts(slots: 6) == [[2, 1, 1, 2, 0]])  // tie between 2 and 4 goes to the lower index
    }
}
