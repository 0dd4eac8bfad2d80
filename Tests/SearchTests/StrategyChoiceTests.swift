import ANASOD
import Search
import Testing

/// Strategy names are one typed list: parsing keeps the text as written, and errors name the known ones.
@Suite struct StrategyChoiceTests {
    @Test func namesAndOptionsRoundTrip() throws {
        for text in StrategyName.allCases.map(\.rawValue) + ["anasod-bo[pool=2000,pending=lp]", "anasod-bo-2s[within=random]"] {
            #expect(try StrategyChoice(parsing: text).description == text)
        }
        #expect(try StrategyChoice(parsing: "anasod-bo-2s").name == .anasodBO2S)
        #expect(StrategyFactory.names == ["rs", "anasod-rs", "biased-rs", "ls", "ls-cell", "re", "onehot-bo", "anasod-bo", "anasod-bo-2s"])
        #expect(StrategyFactory.measurements == ["encoding-groups"])
    }

    @Test func anUnknownNameListsEveryKnownOne() {
        let error = #expect(throws: SearchError.self) { try StrategyChoice(parsing: "bananas") }
        #expect(error?.code == .unknownStrategy)
        for name in StrategyName.allCases { #expect(error?.message.contains(name.rawValue) == true, "\(name)") }
        #expect(throws: SearchError.self) { try StrategyChoice(parsing: "rs[pool=3]") }
        #expect(throws: SearchError.self) { try StrategyChoice(parsing: "anasod-bo[colour=red]") }
    }

    @Test func listIsMadeFromAStudysArchitecturesOnly() {
        #expect(throws: SearchError.self) { try StrategyFactory.make("list", space: NB201SearchSpace(), seed: 0) }
    }
}
