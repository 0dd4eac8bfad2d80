@testable import ANASOD
import Testing

@Suite struct DARTSSearchSpaceTests {
    let space = DARTSSearchSpace()

    @Test func decodedCellsHaveTheCountsAndValidConnections() throws {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<500 {
            let normal = rng.nextDirichlet(Array(repeating: 1, count: 7))
            let reduce = rng.nextDirichlet(Array(repeating: 1, count: 7))
            let encoding = ArchitectureEncoding(parts: [try OperationDistribution(normal), try OperationDistribution(reduce)])
            let arch = space.roundingDecode(encoding, using: &rng)
            try space.validate(arch)
            #expect(space.counts(of: arch) == encoding.counts(slots: 8))
            for cell in arch.cells {
                for i in 0..<4 {
                    let a = cell.inputs[2 * i], b = cell.inputs[2 * i + 1]
                    #expect(a != b && a >= 0 && b <= i + 1)
                }
            }
            #expect(try space.parse(space.format(arch)) == arch)
        }
    }

    @Test func connectionsCoverEveryPairUniformly() {
        var rng = SeededGenerator(seed: 22)
        var pairs = [[Int]: Int]()
        let n = 30_000
        for _ in 0..<n {
            let inputs = space.drawInputs(using: &rng)
            pairs[Array(inputs[6...7]), default: 0] += 1  // node 5: C(5, 2) = 10 pairs
        }
        #expect(pairs.count == 10)
        for count in pairs.values { #expect(abs(Double(count) / Double(n) - 0.1) < 0.01) }
    }

    @Test func parsesUnorderedPairsIntoCanonicalForm() throws {
        let text = "normal=|sep_conv_3x3~1|skip_connect~0|+|sep_conv_5x5~0|sep_conv_3x3~2|+|max_pool_3x3~3|avg_pool_3x3~1|+|dil_conv_3x3~0|dil_conv_5x5~4|;reduce=|max_pool_3x3~0|max_pool_3x3~1|+|skip_connect~2|max_pool_3x3~1|+|max_pool_3x3~0|skip_connect~2|+|skip_connect~2|avg_pool_3x3~0|"
        let arch = try space.parse(text)
        #expect(arch.cells[0].inputs == [0, 1, 0, 2, 1, 3, 0, 4])
        #expect(arch.cells[0].operations[0] == 6)  // skip_connect~0 comes first
        try space.validate(arch)
        #expect(try space.parse(space.format(arch)) == arch)
    }

    @Test func rejectsInvalidConnections() {
        #expect(throws: ANASODError.self) {
            try space.parse("normal=|sep_conv_3x3~0|sep_conv_3x3~0|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|;reduce=|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|")
        }
        #expect(throws: ANASODError.self) {
            try space.parse("normal=|sep_conv_3x3~0|sep_conv_3x3~2|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|;reduce=|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|")
        }
        #expect(throws: ANASODError.self) { try space.parse("normal=|sep_conv_3x3~0|") }
    }

    @Test func encodingGridIsTheProductOfCellGrids() {
        #expect(space.encodingCount == 3003 * 3003)
        let iterator = space.allEncodingCounts().makeIterator()
        let first = iterator.next()!
        let second = iterator.next()!
        #expect(first == [[8, 0, 0, 0, 0, 0, 0], [8, 0, 0, 0, 0, 0, 0]])
        #expect(second == [[8, 0, 0, 0, 0, 0, 0], [7, 1, 0, 0, 0, 0, 0]])
    }
}
