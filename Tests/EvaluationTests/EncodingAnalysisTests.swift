@testable import Evaluation
import Testing

@Suite struct EncodingAnalysisTests {
    @Test func statisticsAgainstHandComputedValues() {
        #expect(EncodingAnalysis.populationSD([2, 4, 4, 4, 5, 5, 7, 9]) == 2)
        #expect(EncodingAnalysis.median([3, 1, 2]) == 2)
        #expect(EncodingAnalysis.median([4, 1, 3, 2]) == 2.5)
        #expect(EncodingAnalysis.median([]).isNaN)
    }

    @Test func groupsCoverEveryCellOnce() throws {
        let analysis = EncodingAnalysis(table: try NB201Table.parse(NB201Fixture.syntheticCSV(), source: "s"))
        #expect(analysis.groups.count == 210)
        #expect(analysis.groupsWithSpread == 205)
        #expect(analysis.groups.reduce(0) { $0 + $1.cells } == 15_625)
        #expect(zip(analysis.groups, analysis.groups.dropFirst()).allSatisfy { $0.meanError <= $1.meanError })
        let csv = analysis.csv().split(separator: "\n")
        #expect(csv.count == 211)
        #expect(csv[0] == "none,skip_connect,nor_conv_1x1,nor_conv_3x3,avg_pool_3x3,cells,mean_error,sd_error,min_error,best_arch")
    }

    @Test func fixedFormatsDecimals() {
        #expect(fixed(12.934786, 2) == "12.93")
        #expect(fixed(0.795, 1) == "0.8")
        #expect(fixed(-1.005, 1) == "-1.0")
        #expect(fixed(3, 0) == "3")
        #expect(fixed(5.6, 3) == "5.600")
    }
}
