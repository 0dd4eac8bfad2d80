import ANASOD
import ArgumentParser
import Cluster
import Evaluation
import Foundation
import Journal
import Trainer

/// `anasod dnas`: a one-shot differentiable search on NB201 (ANASOD-DNAS, or DARTS for comparison),
/// journaled epoch by epoch and resumable, ending with cells sampled from the found distribution and
/// looked up in the NB201 tables.
struct DNASCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnas",
        abstract: "One-shot search on NB201 with a supernet: ANASOD-DNAS (one shared p~) or DARTS (α per edge).")

    @Option(help: "The search's YAML file (keys: configs/README.md, 'One-shot searches').") var config: String
    @Option(help: "The journal (default: the config's 'journal', else runs/STUDY.dnas.sqlite).") var journal: String?
    @Flag(help: "Continue the search in the journal from its last finished epoch.") var resume = false
    @Option(name: .customLong("nb201-dir"), help: "Folder of the NB201 tables the found cells are looked up in.") var nb201Dir: String?
    @Option(name: .customLong("fashion-mnist-dir"), help: "Fashion-MNIST's folder.") var fashionMNISTDir = IDXLoader.fashionMNISTDirectory
    @Option(help: "Threads of the trainer's loops.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Train the found cells as a study with this study file's evaluator, jobs and cluster sections (e.g. configs/fmnist-nb201-proxy.yaml).")
    var evaluate: String?
    @Option(help: "With --evaluate: worker processes of the local cluster.") var workers = 2
    @Option(name: .customLong("evaluate-on"), help: "With --evaluate: run the study's coordinator on this endpoint (tcp://HOST:PORT) for workers on other machines.")
    var evaluateOn: String?

    func validate() throws {
        if evaluateOn != nil && evaluate == nil { throw ValidationError("--evaluate-on needs --evaluate STUDY.yaml") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }

    func run() throws {
        let c = try DNASConfiguration(file: config)
        let path = journal ?? c.journal
        Parallel.configure(threads: threads)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                withIntermediateDirectories: true)
        let existed = FileManager.default.fileExists(atPath: path)
        let store = try DNASJournal(path: path)
        if let stored = try store.search() {
            guard resume else {
                throw ValidationError("the journal '\(path)' holds the search '\(stored.id)': pass --resume to continue it, or another --journal")
            }
            guard stored.id == c.study, stored.settings == c.definition else {
                throw ValidationError("the journal '\(path)' holds '\(stored.id)' with other settings (\(stored.settings)); "
                                      + "this config defines '\(c.study)' as \(c.definition)")
            }
        } else {
            if resume && existed { throw ValidationError("the journal '\(path)' holds no search to resume") }
            try store.begin(id: c.study, settings: c.definition)
        }
        var data = try IDXLoader.fashionMNIST(train: true, directory: fashionMNISTDir)
        let stats = data.channelStatistics()
        data.normalize(mean: stats.mean, std: stats.std)
        let search = try DNASSearch(data: data, settings: c.settings)
        if let (epoch, state) = try store.checkpoint() {
            do {
                try search.restore(try JSONDecoder().decode(DNASCheckpoint.self, from: state))
            } catch {
                throw ValidationError("the journal's checkpoint after epoch \(epoch) cannot be restored: \(error)")
            }
            FileHandle.standardError.write(Data("dnas: resuming '\(c.study)' after epoch \(epoch) of \(c.settings.epochs)\n".utf8))
        }
        let s = c.settings
        FileHandle.standardError.write(Data(("dnas: \(c.study): \(s.method.rawValue), NB201 supernet C=\(s.channels) N=\(s.cellsPerStage), "
            + "\(search.weightHalf.count) + \(search.architectureHalf.count) images (weights + architecture), "
            + "\(search.stepsPerEpoch) steps of batch \(s.batchSize) per epoch, \(search.supernet.parameterCount) weights\n").utf8))
        let encoder = JSONEncoder()
        try search.run { epoch, checkpoint in
            try store.append(DNASJournal.Epoch(epoch: epoch.epoch, trainLoss: epoch.trainLoss, validationLoss: epoch.validationLoss,
                                               validationError: epoch.validationError, distribution: epoch.distribution,
                                               seconds: epoch.seconds),
                             checkpoint: try encoder.encode(checkpoint))
            FileHandle.standardError.write(Data((Self.progressLine(epoch, of: s.epochs, method: s.method) + "\n").utf8))
        }
        let cells = try search.finalCells(count: c.samples, decoder: c.decoder, seed: s.seed)
        // A table that cannot be loaded leaves its column empty, and the note below says why.
        let loaded = ["cifar10", "cifar100"].map { name in
            Result { try NB201Table.load(path: NB201Table.resolve(name, directory: nb201Dir)) }
        }
        let tables = loaded.map { try? $0.get() }  // each failure is printed below
        let space = NB201SearchSpace()
        let sampled = cells.enumerated().map { i, cell in
            DNASJournal.SampledCell(rank: i + 1, architecture: space.format(cell), counts: space.counts(of: cell)[0],
                                    cifar10: tables[0]?.error(of: cell), cifar100: tables[1]?.error(of: cell))
        }
        try store.record(sampled)
        print(Self.resultTable(search: search, cells: sampled, optimum: tables.map { $0?.optimum.error }))
        for (column, result) in zip(["CIFAR-10", "CIFAR-100"], loaded) {
            guard case .failure(let error) = result else { continue }
            print("(no NB201 \(column) column: \(error); pass --nb201-dir or set \(NB201Table.directoryVariable))")
        }
        try evaluate(cells: sampled.map(\.architecture), study: c.study, seed: s.seed, journalPath: path)
    }

    static let names = ["none", "skip", "1x1", "3x3", "pool"]

    static func progressLine(_ e: DNASEpoch, of epochs: Int, method: DNASSettings.Method) -> String {
        let k = names.count
        let architecture: String
        if method == .anasod {
            architecture = "p~ " + zip(names, e.distribution).map { "\($0) \(String(format: "%.3f", $1))" }.joined(separator: " ")
        } else {
            // Each edge's argmax and its weight.
            architecture = "edges " + (0..<6).map { edge -> String in
                let w = Array(e.distribution[(edge * k)..<((edge + 1) * k)])
                let j = w.indices.max { w[$0] < w[$1] }!
                return "\(names[j]) \(String(format: "%.2f", w[j]))"
            }.joined(separator: " | ")
        }
        return String(format: "epoch %d/%d · loss %.3f (weights) %.3f (architecture) · supernet error %.1f %% · ", e.epoch, epochs,
                      e.trainLoss, e.validationLoss, e.validationError)
            + architecture + String(format: " · %.1f s", e.seconds)
    }

    static func resultTable(search: DNASSearch, cells: [DNASJournal.SampledCell], optimum: [Double?]) -> String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "—" }
        var lines = ["", "Found by \(search.settings.method.rawValue) after \(search.epoch) epochs:", "",
                     "| # | cell | counts (none, skip, 1x1, 3x3, pool) | NB201 CIFAR-10 test error | NB201 CIFAR-100 test error |",
                     "|---|---|---|---|---|"]
        for c in cells {
            lines.append("| \(c.rank) | `\(c.architecture)` | \(c.counts.map(String.init).joined(separator: ", ")) | \(f(c.cifar10)) | \(f(c.cifar100)) |")
        }
        lines.append("| | optimum | | \(f(optimum[0])) | \(f(optimum[1])) |")
        return lines.joined(separator: "\n")
    }
}
