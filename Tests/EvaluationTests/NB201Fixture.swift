import ANASOD
import Evaluation
import Foundation
import Testing

/// Where the real NB201 tables are: `$ANASOD_NB201_DIR`, else `../shared/data/nb201` beside the checkout.
enum NB201Fixture {
    /// Expects `parse` to refuse its text as a malformed table, with a message holding `fragment`.
    static func expectMalformed(_ fragment: String, sourceLocation: SourceLocation, _ parse: () throws -> Void) {
        do {
            try parse()
            Issue.record("parsed", sourceLocation: sourceLocation)
        } catch let e as EvaluationError {
            #expect(e.code == .malformedTable, sourceLocation: sourceLocation)
            #expect(e.message.contains(fragment), "\(e.message)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    static let directory: String = {
        if let dir = ProcessInfo.processInfo.environment[NB201Table.directoryVariable] { return dir }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/data/nb201").path
    }()

    static func path(_ dataset: String) -> String { (directory as NSString).appendingPathComponent(dataset + ".csv") }

    static var available: Bool { FileManager.default.fileExists(atPath: path("cifar10")) }

    static let missingReason = Comment(
        rawValue: "needs the NB201 table: cifar10.csv not found in \(directory); set ANASOD_NB201_DIR")

    /// A complete synthetic table (every cell, accuracy derived from its index) as CSV text.
    static func syntheticCSV() -> String {
        let space = NB201SearchSpace()
        var text = "arch,test_accuracy\n"
        for i in 0..<NB201SearchSpace.cellCount {
            text += "\(space.format(space.architecture(at: i))),\(Double(i % 1000) / 10)\n"
        }
        return text
    }
}
