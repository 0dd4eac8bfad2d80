@testable import ANASOD
import Foundation
import Testing

/// User-defined spaces (issue 29): every wiring round-trips through its notation and its definition, the
/// decoders keep their contracts on it, and bad definitions are refused naming the key.
@Suite struct SlotSearchSpaceTests {
    /// One space of each wiring, one with two cell types.
    static func spaces() throws -> [SlotSearchSpace] {
        [
            try SlotSearchSpace(name: "chain", operations: ["conv3", "conv5", "pool", "identity"], slots: 10),
            try SlotSearchSpace(name: "nb201-like", operations: ["none", "skip", "conv1", "conv3", "pool"],
                                wiring: .dag(edges: [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)].map { SlotWiring.Edge(source: $0, target: $1) })),
            try SlotSearchSpace(name: "darts-like", operations: ["sep3", "sep5", "max", "skip"], cellTypes: ["normal", "reduce"],
                                wiring: .darts(nodes: 3, inputs: 2, edgesPerNode: 2)),
            try SlotSearchSpace(name: "two-chains", operations: ["a", "b", "c"], slots: 4, cellTypes: ["first", "second"]),
        ]
    }

    @Test func everyEncodingDecodesToItsCountsAndEveryCellRoundTrips() throws {
        var rng = SeededGenerator(seed: 31)
        for space in try Self.spaces() {
            #expect(space.encodingCount == Array(space.allEncodingCounts()).count, "\(space.name)")
            for counts in space.allEncodingCounts().prefix(400) {
                let arch = space.decode(counts: counts, using: &rng)
                try space.validate(arch)
                #expect(space.counts(of: arch) == counts, "\(space.name)")
                #expect(try space.parse(space.format(arch)) == arch, "\(space.name): \(space.format(arch))")
            }
            for _ in 0..<200 {
                let arch = space.randomArchitecture(using: &rng)
                try space.validate(arch)
                #expect(try space.parse(space.format(arch)) == arch, "\(space.name): \(space.format(arch))")
                // The rounding decoder's counts are exact: decoding an encoding gives a cell of that encoding.
                let encoding = space.encode(arch)
                #expect(space.counts(of: space.roundingDecode(encoding, using: &rng)) == space.counts(of: arch))
            }
            #expect(try SlotSearchSpace(definitionJSON: space.definitionJSON) == space)
        }
    }

    @Test func theRoundingDecoderMatchesBruteForceOnContinuousEncodings() throws {
        // N·p rounded by largest remainders: the counts sum to N and each is floor or ceil of N·p.
        var rng = SeededGenerator(seed: 5)
        let space = try Self.spaces()[0]
        for _ in 0..<300 {
            let p = (0..<space.operationCount).map { _ in Double.random(in: 0.01...1, using: &rng) }
            let total = p.reduce(0, +)
            let encoding = ArchitectureEncoding(parts: [OperationDistribution(unchecked: p.map { $0 / total })])
            let counts = space.counts(of: space.roundingDecode(encoding, using: &rng))[0]
            #expect(counts.reduce(0, +) == space.slotsPerCell)
            for (c, x) in zip(counts, p.map { Double(space.slotsPerCell) * $0 / total }) {
                #expect(Double(c) == x.rounded(.down) || Double(c) == x.rounded(.up))
            }
        }
    }

    @Test func dartsLikeConnectivityIsUniformOverItsPatterns() throws {
        let space = try Self.spaces()[2]
        #expect(space.connectivityPatterns == 1 * 3 * 6)  // C(2,2) · C(3,2) · C(4,2)
        #expect(space.searchesConnectivity)
        var rng = SeededGenerator(seed: 9)
        var seen = [[Int]: Int]()
        for _ in 0..<18_000 { seen[space.drawInputs(using: &rng), default: 0] += 1 }
        #expect(seen.count == 18)
        #expect(seen.values.allSatisfy { (850...1150).contains($0) }, "\(seen.values.sorted())")
    }

    @Test func slotsGiveEachEdgesEndpoints() throws {
        let spaces = try Self.spaces()
        let chain = spaces[0], dag = spaces[1], darts = spaces[2]
        let c = try chain.parse("|conv3|conv5|pool|identity|conv3|conv3|conv3|conv3|conv3|pool|")
        #expect(chain.slots(of: c)[0].prefix(2).map { "\($0.operation) \($0.source)>\($0.target)" } == ["conv3 0>1", "conv5 1>2"])
        let d = try dag.parse("|conv3~0|+|skip~0|none~1|+|pool~0|conv1~1|conv3~2|")
        #expect(dag.slots(of: d)[0].map(\.target) == [1, 2, 2, 3, 3, 3])
        let a = try darts.parse("normal=|sep3~1|sep5~0|+|max~2|skip~0|+|skip~3|sep3~1|;reduce=|max~0|max~1|+|sep5~1|sep3~2|+|skip~0|skip~2|")
        // Node edges are stored by ascending source.
        #expect(a.cells[0].inputs == [0, 1, 0, 2, 1, 3])
        #expect(darts.slots(of: a)[0].map(\.target) == [2, 2, 3, 3, 4, 4])
    }

    @Test func badArchitectureStringsSayWhere() throws {
        let spaces = try Self.spaces()
        func message(_ space: SlotSearchSpace, _ text: String) -> String {
            do {
                _ = try space.parse(text)
                return "parsed"
            } catch let e as ANASODError {
                return e.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message(spaces[0], "|conv3|conv5|c|").contains("'c' at position 14"))
        #expect(message(spaces[0], "|conv3|conv5|").contains("2 slots, expected 10"))
        #expect(message(spaces[1], "|conv3~0|+|skip~0|none~1|+|pool~0|conv1~1|conv3~1|").contains("edge at position 43 must come from node 2, not 1"))
        #expect(message(spaces[1], "|conv3~0|skip~0|+|none~1|+|pool~0|conv1~1|conv3~2|").contains("node 1 needs 1 incoming edge(s), found 2"))
        #expect(message(spaces[2], "normal=|sep3~1|sep3~1|+|max~2|skip~0|+|skip~3|sep3~1|;reduce=|max~0|max~1|+|sep5~1|sep3~2|+|skip~0|skip~2|")
            .contains("node 2 reads node 1 twice"))
        #expect(message(spaces[3], "first=|a|a|a|a|").contains("expected first=…;second=…"))
    }

    @Test func badDefinitionsNameTheKey() throws {
        func message(_ json: String) -> String {
            do {
                _ = try SlotSearchSpace(definitionJSON: json)
                return "accepted"
            } catch let e as ANASODError {
                #expect(e.code == .invalidSearchSpace)
                return e.message
            } catch {
                return "\(error)"
            }
        }
        let cases: [(String, String)] = [
            (#"{"name": "x", "operations": [], "slots": 3}"#, "'operations' is empty"),
            (#"{"name": "x", "operations": ["a", "a"], "slots": 3}"#, "'a' is listed twice"),
            (#"{"name": "x", "operations": ["a|b"], "slots": 3}"#, "operation 0"),
            (#"{"name": "x", "operations": ["a"], "slots": 0}"#, "'slots' must be in 1...1024"),
            (#"{"name": "x", "operations": ["a"], "slots": 2000}"#, "'slots' must be in 1...1024"),
            (#"{"name": "x", "operations": ["a"]}"#, "'slots' is required"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "colour": 1}"#, "unknown key 'space.colour'"),
            (#"{"operations": ["a"], "slots": 2}"#, "'space.name' is required"),
            (#"{"name": "nb201", "operations": ["a"], "slots": 2}"#, "built-in"),
            (#"{"name": "x", "operations": ["a"], "slots": "two"}"#, "'space.slots' must be a whole number"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1], [1, 2], [2, 1], [2, 3]]}}"#, "cycle (through nodes 1, 2)"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1], [1, 1]]}}"#, "self-loop"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1], [0, 2], [1, 3]]}}"#, "node 2 is dangling"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1], [2, 3], [1, 3]]}}"#, "node 2 is dangling"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1], [1, 3]]}}"#, "node 2 is in no edge"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1], [0, 1]]}}"#, "listed twice"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": []}}"#, "lists no edges"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"dag": [[0, 1]]}, "slots": 3}"#, "the dag wiring makes 1 slots"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"darts": {"nodes": 2, "edges_per_node": 3}}}"#, "'wiring.darts.edges_per_node'"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"darts": {"nodes": 0}}}"#, "'wiring.darts.nodes'"),
            (#"{"name": "x", "operations": ["a"], "wiring": {"ring": 3}}"#, "unknown wiring 'space.wiring.ring'"),
            (#"{"name": "x", "operations": ["a"], "wiring": "loop", "slots": 2}"#, "'space.wiring' must be"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "cell_types": ["n", "n"]}"#, "cell type 'n' is listed twice"),
            (#"{"name": "x", "operations": ["a", "b"], "slots": 2, "measures": {"params": {"operations": {"a": 1}}}}"#,
             "'measures.params.operations' must value every operation; it lacks b"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "measures": {"params": {"operations": {"a": 1, "c": 2}}}}"#,
             "values 'c', which is not one of 'operations'"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "measures": {"params": {"operations": {"a": -1}}}}"#,
             "'measures.params.operations.a' must be a number in 0…1e15"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "measures": {"params": {"base": "lots", "operations": {"a": 1}}}}"#,
             "'space.measures.params.base' must be a number"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "measures": {"params": {"operations": {"a": 1}, "scale": 2}}}"#,
             "unknown key 'space.measures.params.scale' (known: base, operations)"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "measures": {"val_error": {"operations": {"a": 1}}}}"#,
             "measure 'val_error' must be a name"),
            (#"{"name": "x", "operations": ["a"], "slots": 2, "measures": [1]}"#, "'space.measures' must map measure names"),
            ("not json", "not a JSON space definition"),
        ]
        for (json, expected) in cases {
            let said = message(json)
            #expect(said.contains(expected), "\(json): \(said)")
        }
    }

    /// `space.measures`: a base plus each slot's operation value, the same for every cell of an encoding, kept by
    /// the stored definition.
    @Test func measuresAreAdditiveOverTheSlotsAndStored() throws {
        let space = try SlotSearchSpace(definitionJSON: #"{"name": "m", "operations": ["a", "b", "c"], "slots": 3, "cell_types": ["n", "r"], "#
                                        + #""measures": {"params": {"base": 100, "operations": {"a": 0, "b": 10, "c": 2.5}}}}"#)
        let params = try #require(space.measures["params"])
        #expect(params.perOperation == [0, 10, 2.5] && params.base == 100)
        let arch = try space.parse("n=|b|c|a|;r=|c|c|b|")
        #expect(params.value(of: arch) == 100 + 12.5 + 15)
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let a = space.randomArchitecture(using: &rng)
            #expect(params.value(of: a) == params.value(counts: space.counts(of: a)))
        }
        // The same to the last bit whichever way it is summed: 0.1 + 0.2 + 0.3 in any slot order.
        let tenths = try SlotSearchSpace(definitionJSON: #"{"name": "t", "operations": ["a", "b", "c"], "slots": 3, "#
                                         + #""measures": {"ms": {"operations": {"a": 0.1, "b": 0.2, "c": 0.3}}}}"#)
        let ms = try #require(tenths.measures["ms"])
        for text in ["|c|b|a|", "|a|b|c|", "|b|a|c|"] {
            #expect(ms.value(of: try tenths.parse(text)) == ms.value(counts: [[1, 1, 1]]))
        }
        let again = try SlotSearchSpace(definitionJSON: space.definitionJSON)
        #expect(again == space && again.measures == space.measures)
        #expect(try SlotSearchSpace(definitionJSON: #"{"name": "m", "operations": ["a"], "slots": 3}"#).measures.isEmpty)
    }

    @Test func theDefinitionsJSONIsCanonical() throws {
        let space = try Self.spaces()[1]
        #expect(space.definitionJSON == #"{"cell_types":["cell"],"name":"nb201-like","operations":["none","skip","conv1","conv3","pool"],"#
                + #""slots":6,"wiring":{"dag":[[0,1],[0,2],[1,2],[0,3],[1,3],[2,3]]}}"#)
        #expect(try StudySpace(stored: space.definitionJSON) == .defined(space))
        #expect(try StudySpace(stored: "darts") == .darts)
        #expect(throws: ANASODError.self) { try StudySpace(stored: "nb301") }
    }

    @Test func theBuiltInSpacesAreDefinitionsOfTheSameKind() throws {
        let nb201 = NB201SearchSpace.definition, darts = DARTSSearchSpace.definition
        #expect(nb201.name == "nb201" && nb201.slotsPerCell == 6 && nb201.wiring.slots == 6)
        #expect(darts.cellTypes == ["normal", "reduce"] && darts.connectivityPatterns == 180 && darts.sourceNodeCount == 5)
        #expect(nb201.definitionJSON.contains(#""wiring":{"dag":[[0,1],[0,2],[1,2],[0,3],[1,3],[2,3]]}"#))
        // DARTS's own draw (a, then b among the rest), as it was before the spaces became definitions: the
        // same seed still gives the same genotypes.
        var old = SeededGenerator(seed: 17), new = SeededGenerator(seed: 17)
        for _ in 0..<200 {
            var inputs = [Int]()
            for i in 0..<4 {
                let a = old.nextInt(below: i + 2)
                var b = old.nextInt(below: i + 1)
                if b >= a { b += 1 }
                inputs += [min(a, b), max(a, b)]
            }
            #expect(DARTSSearchSpace().drawInputs(using: &new) == inputs)
        }
    }
}
