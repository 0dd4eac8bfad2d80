import ANASOD
@testable import Evaluation
import Foundation
import Testing

@Suite struct NB201TableTests {
    let space = NB201SearchSpace()

    func expectMalformed(_ text: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        NB201Fixture.expectMalformed(fragment, sourceLocation: sourceLocation) { _ = try NB201Table.parse(text, source: "t.csv") }
    }

    @Test func parsesACompleteTable() throws {
        let table = try NB201Table.parse(NB201Fixture.syntheticCSV(), source: "synthetic")
        #expect(table.errors.count == 15_625)
        #expect(table.error(of: space.architecture(at: 1234)) == 100 - 23.4)
        #expect(table.optimum.error == 100 - 99.9)
    }

    @Test func acceptsCRLFLineEndings() throws {
        let crlf = NB201Fixture.syntheticCSV().replacingOccurrences(of: "\n", with: "\r\n")
        let table = try NB201Table.parse(crlf, source: "crlf")
        #expect(table.error(of: space.architecture(at: 5)) == 100 - 0.5)
    }

    @Test func rejectsBadRowsWithFileAndLine() {
        let good = NB201Fixture.syntheticCSV()
        var lines = good.split(separator: "\n").map(String.init)
        expectMalformed("", "empty")
        expectMalformed("name,acc\n", "t.csv:1: the header")

        var duplicate = lines
        duplicate[10] = lines[3]
        expectMalformed(duplicate.joined(separator: "\n"), "t.csv:11: duplicate cell")

        var badNumber = lines
        badNumber[7] = lines[7].split(separator: ",")[0] + ",abc"
        expectMalformed(badNumber.joined(separator: "\n"), "t.csv:8: test_accuracy 'abc'")

        var outOfRange = lines
        outOfRange[7] = lines[7].split(separator: ",")[0] + ",100.5"
        expectMalformed(outOfRange.joined(separator: "\n"), "t.csv:8:")

        var badArch = lines
        badArch[2] = "|none~0|+|none~0|,50"
        expectMalformed(badArch.joined(separator: "\n"), "t.csv:3: 'nb201' architecture")

        let truncated = String(good.prefix(good.count / 2))
        expectMalformed(truncated, "t.csv:")

        lines.removeLast(100)
        expectMalformed(lines.joined(separator: "\n"), "100 of 15625 cells are missing")
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: EvaluationError.self) { try NB201Table.load(path: "/no/such/cifar10.csv") }
    }

    @Test func resolvesDatasetNamesAgainstTheDirectory() {
        #expect(NB201Table.resolve("cifar100", directory: "/data") == "/data/cifar100.csv")
        #expect(NB201Table.resolve("cifar10", environment: ["ANASOD_NB201_DIR": "/env"]) == "/env/cifar10.csv")
        #expect(NB201Table.resolve("cifar10", environment: [:]) == "../shared/data/nb201/cifar10.csv")
        #expect(NB201Table.resolve("x/y.csv", directory: "/data") == "x/y.csv")
    }

    @Test func tableEvaluatorReturnsTheError() async throws {
        let table = try NB201Table.parse(NB201Fixture.syntheticCSV(), source: "synthetic")
        let evaluator = TableEvaluator(table: table)
        let result = try await evaluator.evaluate(space.architecture(at: 999), seed: 0) { _ in }
        #expect(result.validationError == 100 - 99.9)
        #expect(result.testError == result.validationError)
        await #expect(throws: EvaluationError.self) {
            try await evaluator.evaluate(Architecture(cells: [Cell(operations: [0, 1])]), seed: 0) { _ in }
        }
    }
}

@Suite(.enabled(if: NB201Fixture.available, NB201Fixture.missingReason))
struct RealNB201TableTests {
    @Test func cifar10ReproducesTheIssueFigures() throws {
        let analysis = EncodingAnalysis(table: try NB201Table.load(path: NB201Fixture.path("cifar10")))
        #expect(analysis.groups.count == 210)
        #expect(fixed(analysis.overallSD, 2) == "12.93")
        #expect(fixed(analysis.medianWithinSD, 2) == "1.91")
        #expect(fixed(analysis.medianWithinSDBestHalf, 2) == "0.79")
        #expect(analysis.groups.reduce(0) { $0 + $1.cells } == 15_625)
    }

    @Test func cifar100ReproducesTheIssueFigures() throws {
        let table = try NB201Table.load(path: NB201Fixture.path("cifar100"))
        let analysis = EncodingAnalysis(table: table)
        #expect(fixed(analysis.overallSD, 2) == "12.17")
        #expect(fixed(analysis.medianWithinSD, 2) == "3.48")
        #expect(fixed(analysis.medianWithinSDBestHalf, 2) == "1.55")
        #expect(abs(table.optimum.error - 26.487) < 1e-3)
    }
}
