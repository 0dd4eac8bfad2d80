import ANASOD
@testable import Cluster
import Journal
import Testing

@Suite struct StudyReportTests {
    @Test func csvQuotesFieldsAndDefusesFormulaWorkerIDs() throws {
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "s", configuration: "", created: 0))
        let arch = "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|"
        try journal.append([
            .proposed(call: 0, jobs: [.init(job: 1, architecture: arch, encoding: [[0.2, 0.2, 0.2, 0.2, 0.2]])]),
            .dispatched(job: 1, attempt: 1, worker: "=HYPERLINK(\"x\"),evil\nrow", time: 0),
            .result(job: 1, attempt: 1, worker: "=HYPERLINK(\"x\"),evil\nrow",
                    metrics: .init(validationError: 7.5, trainSeconds: 1), time: 1),
        ])
        let csv = try StudyReport(journal: journal).csv()
        #expect(csv.contains("\"'=HYPERLINK(\"\"x\"\"),evil\nrow\""))
        #expect(StudyReport.csvField("plain") == "plain")
        #expect(StudyReport.csvField("a,b") == "\"a,b\"")
        #expect(StudyReport.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}
