import ANASOD
import Evaluation
import Foundation
import Journal

/// The paper's Table 1 measured on trained cells instead of a benchmark table: from the results of one or
/// more studies' journals, how much of a cell's error its encoding explains, and how much is training noise.
///
/// - overall SD: over every successful result;
/// - within-encoding SD: cells grouped by their encoding (their op counts per cell type), each cell's
///   error its mean over the results it has; the median over encodings with at least 2 distinct cells;
/// - seed SD: cells with at least 2 results (several studies that trained the same cells with other
///   `jobs.training_seed`s, or a cell trained again); the median over those cells.
///
/// Population SDs (divide by n), as `EncodingAnalysis` on a table.
public struct JournalEncodingAnalysis: Sendable {
    public let results: Int
    public let cells: Int
    public let overallSD: Double
    public let encodingsWithSpread: Int
    public let medianWithinSD: Double
    public let cellsWithSeeds: Int
    public let medianSeedSD: Double
    public let meanSeedSD: Double

    /// Each journal's cells are read in the space its study declares (`space`, nb201 when it names none).
    /// - Throws: `ClusterError.invalidConfiguration` when a study's stored configuration cannot be read, the
    ///   studies declare different spaces, or a result's architecture is no cell of its study's space.
    public init(reports: [StudyReport]) throws {
        var errors = [String: [Double]]()
        var declared: (name: StudySpace, study: String)?
        for report in reports {
            let name = try Self.declaredSpace(report.study)
            if let declared, declared.name != name {
                throw ClusterError(.invalidConfiguration, "study '\(declared.study)' searches \(declared.name) and study "
                                   + "'\(report.study.id)' \(name): analyse them apart")
            }
            declared = declared ?? (name, report.study.id)
            for row in report.done {
                // A cell early stopping stopped reported an early epoch's error: no measure of its encoding.
                guard let metrics = row.metrics, metrics.stoppedAtEpoch == nil else { continue }
                errors[row.architecture, default: []].append(metrics.validationError)
            }
        }
        let space = (declared?.name ?? StudySpace.nb201).space
        var byEncoding = [[[Int]]: [Double]]()
        for (text, values) in errors {
            let architecture: Architecture
            do {
                architecture = try space.parse(text)
            } catch {
                throw ClusterError(.invalidConfiguration, "a result's architecture '\(text)' is not a \(space.name) cell: \(error)")
            }
            byEncoding[space.counts(of: architecture), default: []].append(Self.mean(values))
        }
        let all = errors.values.flatMap { $0 }
        results = all.count
        cells = errors.count
        overallSD = Self.populationSD(all)
        let spread = byEncoding.values.filter { $0.count >= 2 }
        encodingsWithSpread = spread.count
        medianWithinSD = Self.median(spread.map(Self.populationSD))
        let seeded = errors.values.filter { $0.count >= 2 }.map(Self.populationSD)
        cellsWithSeeds = seeded.count
        medianSeedSD = Self.median(seeded)
        meanSeedSD = Self.mean(seeded)
    }

    /// A Markdown table beside the paper's NB301 column (Table 1 of arXiv 2111.04670).
    public func markdown() -> String {
        func f(_ x: Double) -> String { x.isNaN ? "—" : String(format: "%.3f", x) }
        return """
            | SD of the validation error (%) | measured | paper, NB301 |
            |---|---|---|
            | overall (\(results) results of \(cells) cells) | \(f(overallSD)) | 0.77 |
            | within an encoding, median (\(encodingsWithSpread) encodings with ≥ 2 cells) | \(f(medianWithinSD)) | 0.25 |
            | one cell over training seeds, median (\(cellsWithSeeds) cells; mean \(f(meanSeedSD))) | \(f(medianSeedSD)) | 0.17 |

            """
    }

    /// The space a study's stored configuration declares.
    static func declaredSpace(_ study: StudyRecord) throws -> StudySpace {
        let stored: String
        do {
            stored = try StudyConfiguration.storedDefinition(study.configuration)["space"] ?? SpaceName.nb201.rawValue
        } catch let error as ClusterError {
            throw ClusterError(.invalidConfiguration, "study '\(study.id)': \(error.message)")
        }
        do {
            return try StudySpace(stored: stored)
        } catch let error as ANASODError {
            throw ClusterError(.invalidConfiguration, "study '\(study.id)' searches a space this build cannot read: \(error.message)")
        }
    }

    static func mean(_ xs: [Double]) -> Double { EncodingAnalysis.mean(xs) }
    static func populationSD(_ xs: [Double]) -> Double { EncodingAnalysis.populationSD(xs) }
    static func median(_ xs: [Double]) -> Double { EncodingAnalysis.median(xs) }
}
