@testable import ANASOD
import Foundation
import Testing

/// Operations allowed or forbidden per slot (issue 29): cell counts and the nearest feasible grid point
/// against brute force, the decoders' contracts, and bad restrictions named by key.
@Suite struct SlotRestrictionTests {
    /// 3 operations on 6 slots; slot 0 holds only `a`, slot 5 never `c`, slot 2 only `b` or `c`.
    static func space() throws -> SlotSearchSpace {
        try SlotSearchSpace(name: "restricted", operations: ["a", "b", "c"], slots: 6,
                            allowed: [0: ["a"], 2: ["b", "c"]], forbidden: [5: ["c"]])
    }

    /// Every op sequence of the space (3^6 = 729), allowed or not.
    static func everySequence(_ space: SlotSearchSpace) -> [[Int]] {
        var all = [[Int]]()
        for index in 0..<729 {
            var rest = index
            all.append((0..<6).map { _ in
                defer { rest /= 3 }
                return rest % 3
            })
        }
        return all
    }

    @Test func cellCountsAndTheGridMatchBruteForce() throws {
        let space = try Self.space()
        var byCounts = [[Int]: Int]()
        for ops in Self.everySequence(space) where ops.indices.allSatisfy({ space.allows(cellType: 0, slot: $0, operation: ops[$0]) }) {
            byCounts[Cell(operations: ops).operationCounts(3), default: 0] += 1
        }
        for counts in EncodingGrid.allCounts(slots: 6, operations: 3) {
            #expect(space.arrangementCount(counts, cellType: 0) == Double(byCounts[counts] ?? 0), "\(counts)")
        }
        #expect(space.encodingCount == byCounts.count)
        #expect(Set(space.allEncodingCounts().map { $0[0] }) == Set(byCounts.keys))
        #expect(space.allArchitectures(counts: [[1, 3, 2]])?.count == byCounts[[1, 3, 2]])
        #expect(space.arrangementCount([0, 3, 3], cellType: 0) == 0)  // slot 0 needs an 'a'
    }

    @Test func theRoundingDecoderGivesTheNearestFeasibleCounts() throws {
        let space = try Self.space()
        let feasible = EncodingGrid.allCounts(slots: 6, operations: 3).filter { space.arrangementCount($0, cellType: 0) > 0 }
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<400 {
            let p = (0..<3).map { _ in Double.random(in: 0...1, using: &rng) }
            let total = p.reduce(0, +)
            let target = p.map { 6 * $0 / total }
            let encoding = ArchitectureEncoding(parts: [OperationDistribution(unchecked: p.map { $0 / total })])
            let arch = space.roundingDecode(encoding, using: &rng)
            try space.validate(arch)
            let counts = space.counts(of: arch)[0]
            func distance(_ c: [Int]) -> Double { zip(c, target).map { abs(Double($0) - $1) }.reduce(0, +) }
            let best = feasible.map(distance).min()!
            #expect(abs(distance(counts) - best) < 1e-9, "\(target): \(counts) at \(distance(counts)), best \(best)")
            // A feasible rounding is kept as it is: the decoder's counts are exact there.
            let rounded = encoding.counts(slots: 6)[0]
            if space.arrangementCount(rounded, cellType: 0) > 0 { #expect(counts == rounded) }
        }
    }

    @Test func decodingIsUniformOverTheAllowedCellsOfAnEncoding() throws {
        let space = try Self.space()
        let counts = [2, 2, 2]
        let cells = Int(space.arrangementCount(counts, cellType: 0))
        #expect(cells > 1)
        var rng = SeededGenerator(seed: 8)
        var seen = [Architecture: Int]()
        let draws = 300 * cells
        for _ in 0..<draws {
            let arch = space.decode(counts: [counts], using: &rng)
            try space.validate(arch)
            #expect(space.counts(of: arch) == [counts])
            seen[arch, default: 0] += 1
        }
        #expect(seen.count == cells)
        // Each cell within 5 standard deviations of its expected 300 draws.
        #expect(seen.values.allSatisfy { abs(Double($0) - 300) < 5 * sqrt(300) }, "\(seen.values.sorted())")
    }

    @Test func theOtherDecodersAndTheNotationRespectTheRestrictions() throws {
        let space = try Self.space()
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<500 {
            let a = space.randomArchitecture(using: &rng)
            try space.validate(a)
            let p = (0..<3).map { _ in Double.random(in: 0...1, using: &rng) }
            let total = p.reduce(0, +)
            try space.validate(space.samplingDecode(ArchitectureEncoding(parts: [OperationDistribution(unchecked: p.map { $0 / total })]),
                                                    using: &rng))
        }
        #expect(throws: ANASODError.self) { try space.validate(try space.parse("|b|a|a|a|a|a|")) }
        #expect(try SlotSearchSpace(definitionJSON: space.definitionJSON) == space)
        #expect(space.definitionJSON.contains(#""allowed":{"0":["a"],"2":["b","c"],"5":["a","b"]}"#), "\(space.definitionJSON)")
    }

    @Test func badRestrictionsNameTheKey() {
        func message(_ json: String) -> String {
            do {
                _ = try SlotSearchSpace(definitionJSON: json)
                return "accepted"
            } catch let e as ANASODError {
                return e.message
            } catch {
                return "\(error)"
            }
        }
        let base = #""name": "x", "operations": ["a", "b"], "slots": 3"#
        #expect(message("{\(base), \"forbidden\": {\"0\": [\"b\"], \"1\": [\"b\"], \"2\": [\"b\"]}}").contains("operation 'b' is forbidden in every slot"))
        #expect(message("{\(base), \"allowed\": {\"1\": []}}").contains("slot 1 may hold no operation"))
        #expect(message("{\(base), \"allowed\": {\"3\": [\"a\"]}}").contains("'allowed.3': slots are numbered 0...2"))
        #expect(message("{\(base), \"allowed\": {\"0\": [\"z\"]}}").contains("'allowed.0' names 'z'"))
        #expect(message("{\(base), \"allowed\": {\"first\": [\"a\"]}}").contains("keys are slot numbers"))
        #expect(message("{\(base), \"forbidden\": [\"a\"]}").contains("'space.forbidden' must map slot numbers"))
        #expect(message("{\(base), \"allowed\": {\"0\": [\"a\", \"b\"]}}") == "accepted")
        #expect(message("{\(base), \"allowed\": {\"0\": [\"a\"], \"00\": [\"b\"]}}").contains("names slot 0 twice"))
    }

    @Test func aLongRestrictedChainListsItsCellsWithoutEnumeratingTheRest() throws {
        // 20 slots of 5 operations, slot 0 only 'a': counts without an 'a' have no cell (20!/(5!)^4 ≈ 1.2·10¹⁰
        // sequences ignoring the restriction); counts with one list only the allowed ones.
        let space = try SlotSearchSpace(name: "long", operations: ["a", "b", "c", "d", "e"], slots: 20, allowed: [0: ["a"]])
        #expect(space.allArchitectures(counts: [[0, 5, 5, 5, 5]]) == [])
        let cells = try #require(space.allArchitectures(counts: [[1, 19, 0, 0, 0]]))
        #expect(cells.count == 1 && cells[0].cells[0].operations.first == 0)
        let more = try #require(space.allArchitectures(counts: [[2, 17, 1, 0, 0]]))
        #expect(Double(more.count) == space.architectureCount(counts: [[2, 17, 1, 0, 0]]))
        #expect(more.allSatisfy { $0.cells[0].operations[0] == 0 } && Set(more).count == more.count)
    }

    @Test func cellTypesWithOperationsOfTheirOwn() throws {
        // A normal cell of convolutions and skips, a reduction cell of pools and one convolution.
        let space = try SlotSearchSpace(definitionJSON: """
            {"name": "mixed", "operations": ["sep3", "sep5", "skip", "max", "avg"], "cell_types": ["normal", "reduce"],
             "wiring": {"darts": {"nodes": 3}}, "cell_operations": {"normal": ["sep3", "sep5", "skip"], "reduce": ["max", "avg", "sep3"]}}
            """)
        #expect(space.restrictsSlots && space.cellOperations == [[0, 1, 2], [0, 3, 4]])
        #expect(try SlotSearchSpace(definitionJSON: space.definitionJSON) == space)
        var rng = SeededGenerator(seed: 6)
        for _ in 0..<300 {
            let p = (0..<5).map { _ in Double.random(in: 0...1, using: &rng) }
            let total = p.reduce(0, +)
            let part = OperationDistribution(unchecked: p.map { $0 / total })
            for arch in [space.randomArchitecture(using: &rng), space.roundingDecode(ArchitectureEncoding(parts: [part, part]), using: &rng),
                         space.samplingDecode(ArchitectureEncoding(parts: [part, part]), using: &rng)] {
                try space.validate(arch)
                #expect(Set(arch.cells[0].operations).isSubset(of: [0, 1, 2]) && Set(arch.cells[1].operations).isSubset(of: [0, 3, 4]))
                #expect(try space.parse(space.format(arch)) == arch)
            }
        }
        // Each type's grid: the count vectors over its own operations (6 slots, 3 operations: C(8, 2) = 28).
        #expect(space.cellEncodingCount(0) == 28 && space.cellEncodingCount(1) == 28 && space.encodingCount == 28 * 28)
        #expect(Array(space.allEncodingCounts()).allSatisfy { $0[0][3] == 0 && $0[0][4] == 0 && $0[1][1] == 0 && $0[1][2] == 0 })
        #expect(space.architectureCount(counts: [[2, 2, 2, 0, 0], [2, 0, 0, 2, 2]]) == 90 * 90 * space.connectivityPatterns * space.connectivityPatterns)
        #expect(space.architectureCount(counts: [[2, 2, 0, 2, 0], [2, 0, 0, 2, 2]]) == 0)
        #expect(throws: ANASODError.self) { try space.validate(try space.parse(
            "normal=|max~0|sep3~1|+|sep3~0|sep3~2|+|sep3~0|sep3~1|;reduce=|max~0|max~1|+|avg~0|avg~1|+|sep3~0|sep3~1|")) }

        func message(_ cellOperations: String) -> String {
            do {
                _ = try SlotSearchSpace(definitionJSON: """
                    {"name": "m", "operations": ["a", "b", "c"], "slots": 2, "cell_types": ["x", "y"], "cell_operations": \(cellOperations)}
                    """)
                return "accepted"
            } catch let e as ANASODError {
                return e.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(#"{"z": ["a"]}"#).contains("'cell_operations.z' names no cell type"))
        #expect(message(#"{"x": ["d"]}"#).contains("'cell_operations.x' names 'd'"))
        #expect(message(#"{"x": ["a", "a"]}"#).contains("lists 'a' twice"))
        #expect(message(#"{"x": []}"#).contains("'cell_operations.x' is empty"))
        #expect(message(#"{"x": ["a"], "y": ["b"]}"#).contains("operation 'c' is forbidden in every slot"))
        #expect(message(#"["a"]"#).contains("must map cell types"))
        #expect(message(#"{"x": ["a", "b"], "y": ["b", "c"]}"#) == "accepted")
    }
}
