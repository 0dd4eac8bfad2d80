import ANASOD
import Testing
@testable import Wire

/// A capability's kind is typed, and a kind this build does not know (a newer worker's, or a hostile
/// peer's) still decodes, travels back byte for byte, and serves no study.
@Suite struct CapabilityKindTests {
    @Test func knownNamesAreEvaluatorsAndUnknownOnesAreKept() {
        for kind in EvaluationSettings.Kind.allCases {
            #expect(CapabilityKind(rawValue: kind.rawValue) == .evaluator(kind))
            #expect(CapabilityKind(rawValue: kind.rawValue).evaluator == kind)
        }
        let newer = CapabilityKind(rawValue: "quantum")
        #expect(newer == .unknown("quantum") && newer.evaluator == nil && newer.rawValue == "quantum")
        #expect(CapabilityKind.unknown("table") == .table)  // equal by name, however it was made
        #expect(Set([CapabilityKind.unknown("table"), .table]).count == 1)
    }

    @Test func anUnknownKindDecodesRoundTripsAndServesNothing() throws {
        let hello = WireMessage.hello(Hello(workerID: "w", host: "h", slots: 1,
                                            evaluators: [Capability(kind: .unknown("quantum"), spaces: ["nb201"]), Capability(kind: .synthetic)],
                                            software: "newer"))
        let bytes = hello.encoded()
        let decoded = try WireMessage.decode(bytes)
        #expect(decoded == hello)
        #expect(decoded.encoded() == bytes)
        guard case .hello(let h) = decoded else { Issue.record("not a hello"); return }
        #expect(h.evaluators[0].kind == .unknown("quantum"))
        #expect(h.evaluators[0].summary == "quantum(nb201; any data set)")
        for kind in EvaluationSettings.Kind.allCases {
            #expect(!h.evaluators[0].serves(EvaluationSettings(kind: kind), space: "nb201"))
        }
        #expect(h.evaluators[1].serves(EvaluationSettings(kind: .synthetic), space: "darts"))
    }
}
