import ANASOD
import ArgumentParser
import Cluster
import Foundation

/// `anasod dnas --evaluate STUDY.yaml`: the found cells become the jobs of a study (`strategy: list`)
/// with STUDY.yaml's evaluator, jobs and cluster sections — trained by a local cluster (`anasod search`,
/// `--workers`) or by a coordinator on `--evaluate-on ENDPOINT` that workers on other machines join.
extension DNASCommand {
    /// The study file for the found cells: STUDY.yaml without its own study, space, strategy, seed, budget,
    /// architectures and journal, then those of this search.
    static func evaluationConfig(template path: String, study: String, cells: [String], seed: UInt64, journal: String) throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read --evaluate '\(path)': \(error.localizedDescription)")
        }
        let replaced: Set<String> = ["study", "space", "strategy", "seed", "budget", "architectures", "journal"]
        var kept = [String](), skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let topLevel = !(line.first?.isWhitespace ?? true) && !line.hasPrefix("#") && !line.hasPrefix("-")
            if topLevel {
                let key = line.split(separator: ":", maxSplits: 1).first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
                skipping = replaced.contains(key)
            } else if line.hasPrefix("-") && skipping {
                continue  // a top-level sequence's items under a replaced key
            }
            if !skipping { kept.append(String(line)) }
        }
        let quoted = cells.map { "  - '\($0)'" }.joined(separator: "\n")
        return kept.joined(separator: "\n") + """

            study: \(study)
            space: nb201
            strategy: list
            seed: \(seed)
            budget: \(cells.count)
            journal: \(journal)
            architectures:
            \(quoted)

            """
    }

    /// Writes the study next to the search's journal, checks it, and runs it as a child `anasod` process.
    func evaluate(cells: [String], study: String, seed: UInt64, journalPath: String) throws {
        guard let template = evaluate else { return }
        let base = URL(fileURLWithPath: journalPath).deletingPathExtension().deletingPathExtension().path
        let configPath = base + ".eval.yaml"
        let text = try Self.evaluationConfig(template: template, study: study + "-eval", cells: cells, seed: seed,
                                             journal: base + ".eval.sqlite")
        do {
            try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write '\(configPath)': \(error.localizedDescription)")
        }
        do {
            let checked = try StudyConfiguration(yaml: text, source: configPath)
            _ = try checked.makeStrategy(space: NB201SearchSpace())
        } catch let error as ClusterError {
            throw ValidationError("--evaluate \(template): \(error.message)")
        }
        var arguments: [String]
        if let endpoint = evaluateOn {
            arguments = ["coordinator", "--config", configPath, "--listen", endpoint]
            print("\nEvaluating \(cells.count) cell(s) as study '\(study)-eval' (\(configPath)): a coordinator on \(endpoint); start workers with "
                  + "anasod worker --connect \(endpoint) --keys DIR")
        } else {
            arguments = ["search", "--config", configPath, "--workers", String(workers)]
            print("\nEvaluating \(cells.count) cell(s) as study '\(study)-eval' (\(configPath)) on \(workers) local worker(s)")
        }
        if let nb201Dir, evaluateOn == nil { arguments += ["--nb201-dir", nb201Dir] }
        if FileManager.default.fileExists(atPath: base + ".eval.sqlite") { arguments.append("--resume") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("the evaluation study '\(study)-eval' failed (exit status \(process.terminationStatus)); resume it with "
                                  + "anasod \(arguments.prefix(3).joined(separator: " ")) --resume")
        }
        print("Results: anasod export --journal \(base).eval.sqlite")
    }
}
