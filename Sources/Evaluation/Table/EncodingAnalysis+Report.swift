import ANASOD

extension EncodingAnalysis {
    /// The summary as a Markdown table, with the paper's figures for comparison where `paper` is given.
    public func summaryMarkdown(title: String, paper: (overall: Double, median: Double, bestHalf: Double)? = nil) -> String {
        var rows: [[String]] = [
            ["cells", String(cellCount), ""],
            ["encodings", String(groups.count), "210"],
            ["encodings with ≥ 2 cells", String(groupsWithSpread), ""],
            ["overall SD of error (%)", fixed(overallSD, 2), paper.map { fixed($0.overall, 2) } ?? ""],
            ["median SD within an encoding, all encodings", fixed(medianWithinSD, 2), paper.map { fixed($0.median, 2) } ?? ""],
            ["median SD within an encoding, best half", fixed(medianWithinSDBestHalf, 2), paper.map { fixed($0.bestHalf, 2) } ?? ""],
        ]
        if paper == nil { rows = rows.map { Array($0.prefix(2)) } }
        let header = paper == nil ? ["\(title)", "value"] : ["\(title)", "value", "paper (Table 1)"]
        return markdownTable(header: header, rows: rows) + "\n"
            + "SDs are population SDs (divide by n) of the error in percent (100 − test accuracy); the medians use the "
            + "encodings with at least 2 cells, and the best half is the ⌊m/2⌋ of those with the lowest mean error.\n"
    }

    /// The `top` best encodings by mean error as a Markdown table.
    public func encodingsMarkdown(top: Int) -> String {
        let ops = NB201Table.space.operations
        let rows = groups.prefix(top).map { g in
            [zip(ops, g.counts).filter { $0.1 > 0 }.map { "\($0.0)×\($0.1)" }.joined(separator: " "),
             String(g.cells), fixed(g.meanError, 2), fixed(g.sdError, 2), fixed(g.minError, 2)]
        }
        return markdownTable(header: ["encoding (op × count)", "cells", "mean error", "SD", "min error"], rows: rows)
    }

    /// Every encoding as CSV: one column per operation count, then cells, mean, SD, min and the best cell.
    public func csv() -> String {
        let space = NB201Table.space
        var out = space.operations.joined(separator: ",") + ",cells,mean_error,sd_error,min_error,best_arch\n"
        for g in groups {
            out += g.counts.map(String.init).joined(separator: ",")
            out += ",\(g.cells),\(fixed(g.meanError, 4)),\(fixed(g.sdError, 4)),\(fixed(g.minError, 4)),"
            out += space.format(space.architecture(at: g.bestCell)) + "\n"
        }
        return out
    }
}

/// A GitHub-flavoured Markdown table.
public func markdownTable(header: [String], rows: [[String]]) -> String {
    var out = "| " + header.joined(separator: " | ") + " |\n"
    out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
    for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
    return out
}

/// `x` with exactly `digits` decimals.
public func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return String(x) }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (abs(x) * scale).rounded() / scale
    var text = String(Int(rounded))
    if digits > 0 {
        var frac = String(Int(((rounded - rounded.rounded(.down)) * scale).rounded()))
        while frac.count < digits { frac = "0" + frac }
        text += "." + frac
    }
    return (x < 0 && rounded != 0 ? "-" : "") + text
}
