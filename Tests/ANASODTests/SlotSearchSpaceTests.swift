@testable import ANASOD
import Foundation
import Testing

@Suite struct SlotSearchSpaceTests {
    @Test func decodesFromAConfigAndRoundTrips() throws {
        let json = #"{"name": "chain", "operations": ["conv3", "conv5", "pool", "identity"], "slots": 10}"#
        let space = try JSONDecoder().decode(SlotSearchSpace.self, from: Data(json.utf8))
        #expect(space.operationCount == 4)
        #expect(space.slotsPerCell == 10)
        #expect(space.encodingCount == EncodingGrid.size(slots: 10, operations: 4))
        #expect(Array(space.allEncodingCounts()).count == 286)
        var rng = SeededGenerator(seed: 31)
        for counts in space.allEncodingCounts() {
            let arch = space.decode(counts: counts, using: &rng)
            try space.validate(arch)
            #expect(space.counts(of: arch) == counts)
            #expect(try space.parse(space.format(arch)) == arch)
        }
    }

    @Test func rejectsBadDefinitions() {
        #expect(throws: ANASODError.self) { try SlotSearchSpace(name: "x", operations: [], slots: 3) }
        #expect(throws: ANASODError.self) { try SlotSearchSpace(name: "x", operations: ["a", "a"], slots: 3) }
        #expect(throws: ANASODError.self) { try SlotSearchSpace(name: "x", operations: ["a|b"], slots: 3) }
        #expect(throws: ANASODError.self) { try SlotSearchSpace(name: "x", operations: ["a"], slots: 0) }
        let json = #"{"name": "chain", "operations": ["a", "a"], "slots": 2}"#
        #expect(throws: ANASODError.self) { try JSONDecoder().decode(SlotSearchSpace.self, from: Data(json.utf8)) }
    }

    @Test func rejectsUnknownOperationsWithThePosition() throws {
        let space = try SlotSearchSpace(name: "chain", operations: ["a", "bb"], slots: 3)
        #expect(try space.parse("|a|bb|a|").cells[0].operations == [0, 1, 0])
        do {
            _ = try space.parse("|a|bb|c|")
            Issue.record("parsed")
        } catch let e as ANASODError {
            #expect(e.message.contains("'c' at position 7"), "\(e.message)")
        }
        #expect(throws: ANASODError.self) { try space.parse("|a|bb|") }
    }
}
