import Foundation
import Testing

@Suite struct AnalyzeCommandTests {
    @Test(.enabled(if: CommandRunner.tableAvailable,
                   Comment(rawValue: "needs the NB201 table in \(CommandRunner.nb201Directory); set ANASOD_NB201_DIR")))
    func printsTable1AndWritesCSV() throws {
        let csv = FileManager.default.temporaryDirectory.appendingPathComponent("analyze-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: csv) }
        let out = try CommandRunner.run(["analyze", "--table", "cifar10", "--nb201-dir", CommandRunner.nb201Directory,
                                         "--csv", csv])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("| encodings | 210 |"))
        #expect(out.stdout.contains("| overall SD of error (%) | 12.93 |"))
        #expect(out.stdout.contains("| median SD within an encoding, all encodings | 1.91 |"))
        #expect(out.stdout.contains("| median SD within an encoding, best half | 0.79 |"))
        #expect(out.stdout.contains("population SD"))
        let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 211)
    }

    @Test func missingTableIsAOneLineError() throws {
        let out = try CommandRunner.run(["analyze", "--table", "/no/such/table.csv"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("does not exist"))
        #expect(out.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
    }

    @Test func truncatedTableIsAOneLineError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trunc-\(UUID()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "arch,test_accuracy\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,10.0\n|none~0|+|no"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let out = try CommandRunner.run(["analyze", "--table", path])
        #expect(out.status != 0)
        #expect(out.stderr.contains(":3:"), "\(out.stderr)")
    }
}

@Suite struct DecodeCommandTests {
    @Test func decodesWithTheRequestedCounts() throws {
        let out = try CommandRunner.run(["decode", "--distribution", "0.5,0,0,0.5,0", "--count", "4", "--seed", "3"])
        #expect(out.status == 0, "\(out.stderr)")
        let cells = out.stdout.split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(cells.count == 4)
        for cell in cells {
            #expect(cell.components(separatedBy: "none~").count - 1 == 3)
            #expect(cell.components(separatedBy: "nor_conv_3x3~").count - 1 == 3)
        }
        let again = try CommandRunner.run(["decode", "--distribution", "0.5,0,0,0.5,0", "--count", "4", "--seed", "3"])
        #expect(again.stdout == out.stdout)
    }

    @Test(arguments: [["decode", "--distribution", "0.5,nan,0.5,0,0"],
                      ["decode", "--distribution", "0.5,0.6,0,0,0"],
                      ["decode", "--distribution", "0.5,0.5"],
                      ["decode", "--distribution", "-0.5,1.5,0,0,0"],
                      ["decode", "--distribution", "0.2,0.2,0.2,0.2,0.2", "--decoder", "argmax"],
                      ["encode", "|none~0|+|none~0|"]])
    func badInputIsAOneLineErrorAndNonZeroExit(arguments: [String]) throws {
        let out = try CommandRunner.run(arguments)
        #expect(out.status != 0)
        #expect(!out.stderr.isEmpty)
        #expect(!out.stderr.contains("Fatal error"))
    }
}
