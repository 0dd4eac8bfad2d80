@testable import ANASOD
import Testing

@Suite struct OperationDistributionTests {
    @Test func acceptsAPointOfTheSimplex() throws {
        let p = try OperationDistribution([0.2, 0.3, 0.5])
        #expect(p.count == 3)
        #expect(abs(p.probabilities.reduce(0, +) - 1) < 1e-15)
    }

    @Test func rejectsNaNNamingTheComponent() {
        #expect(throws: ANASODError.self) { try OperationDistribution([0.5, .nan, 0.5]) }
        do {
            _ = try OperationDistribution([0.5, .nan, 0.5])
        } catch let e as ANASODError {
            #expect(e.code == .invalidDistribution)
            #expect(e.message.contains("component 1"))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }

    @Test func rejectsNegativeAndWrongSum() {
        #expect(throws: ANASODError(.invalidDistribution, "component 0 of the distribution is negative (-0.1)")) {
            try OperationDistribution([-0.1, 1.1])
        }
        #expect(throws: ANASODError.self) { try OperationDistribution([0.5, 0.6]) }
        #expect(throws: ANASODError.self) { try OperationDistribution([]) }
        #expect(throws: ANASODError.self) { try OperationDistribution([.infinity, 0]) }
    }

    @Test func acceptsSumsWithinTheTolerance() throws {
        let p = try OperationDistribution([0.5, 0.5 + 5e-7])
        #expect(abs(p.probabilities.reduce(0, +) - 1) < 1e-15)
    }

    @Test func parsesACommaSeparatedList() throws {
        let p = try OperationDistribution(parsing: "0.2, 0.2,0.1,0.5", operations: 4)
        #expect(p.probabilities == [0.2, 0.2, 0.1, 0.5].map { $0 / 1.0 })
        #expect(throws: ANASODError.self) { try OperationDistribution(parsing: "0.2,abc,0.8") }
        #expect(throws: ANASODError.self) { try OperationDistribution(parsing: "0.5,0.5", operations: 5) }
        #expect(throws: ANASODError.self) { try OperationDistribution(parsing: "") }
    }

    @Test func countsRoundTrip() throws {
        for n in EncodingGrid.allCounts(slots: 6, operations: 5) where n.reduce(0, +) > 0 {
            let p = try OperationDistribution(counts: n)
            #expect(p.counts(slots: 6) == n)
        }
        #expect(throws: ANASODError.self) { try OperationDistribution(counts: [1, -1, 2]) }
        #expect(throws: ANASODError.self) { try OperationDistribution(counts: [0, 0]) }
    }
}
