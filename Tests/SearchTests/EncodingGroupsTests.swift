import ANASOD
import Search
import Testing

@Suite struct EncodingGroupsTests {
    /// Three distinct cells per encoding, every group's encoding its own draw, on both spaces.
    @Test(arguments: ["nb201", "darts"])
    func groupsHoldThreeDistinctCellsOfOneEncoding(space name: String) throws {
        let space: any SearchSpace = name == "darts" ? DARTSSearchSpace() : NB201SearchSpace()
        var strategy = EncodingGroups(space: space, seed: 4)
        let proposals = strategy.propose(count: 30, pending: [])
        #expect(proposals.count == 30)
        #expect(Set(proposals.map(\.architecture)).count == 30)
        for g in 0..<10 {
            let group = proposals[(3 * g)..<(3 * g + 3)].map { space.counts(of: $0.architecture) }
            #expect(Set(group).count == 1, "group \(g) mixes encodings: \(group)")
            #expect(proposals[3 * g].encoding == space.encode(proposals[3 * g].architecture))
        }
        #expect(Set(stride(from: 0, to: 30, by: 3).map { space.counts(of: proposals[$0].architecture) }).count >= 9)
    }

    /// The same seed gives the same cells however the calls are batched (so studies that differ only in
    /// their training seed train the same cells).
    @Test func cellsDoNotDependOnHowCallsAreBatched() {
        var one = EncodingGroups(space: DARTSSearchSpace(), seed: 11)
        var batched = EncodingGroups(space: DARTSSearchSpace(), seed: 11)
        let a = (0..<12).flatMap { _ in one.propose(count: 1, pending: []) }
        var b = batched.propose(count: 5, pending: [])
        b += batched.propose(count: 2, pending: [b[4]])
        b += batched.propose(count: 5, pending: [])
        #expect(a.map(\.architecture) == b.map(\.architecture))
    }

    /// A tiny space: the 6 cells of encodings with 3 cells each, then nothing (and no endless loop).
    @Test func aTinySpaceEndsWithNoProposals() throws {
        let tiny = try SlotSearchSpace(name: "tiny", operations: ["a", "b"], slots: 3)
        var strategy = EncodingGroups(space: tiny, seed: 1)
        var seen = Set<Architecture>()
        for _ in 0..<6 { for p in strategy.propose(count: 2, pending: []) { #expect(seen.insert(p.architecture).inserted) } }
        #expect(seen.count == 6)
        #expect(strategy.propose(count: 2, pending: []).isEmpty)
    }
}
