import ANASOD
import ArgumentParser
import BayesOpt
import Foundation
import Trainer

/// `anasod bench trainer`: the Swift CPU trainer's images/second against the PyTorch reference.
struct BenchTrainer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trainer",
        abstract: "Training and inference images/second of NB201 networks on the Swift CPU trainer, beside PyTorch's.")

    @Option(help: "Timed training steps per row (batch 128).") var steps = 8
    @Option(help: "Threads of the trainer's loops (OpenBLAS runs single-threaded inside them).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("network"), help: "Only these networks (C8N1, C16N1, C16N5; repeatable).") var networks: [String] = []
    @Option(name: .customLong("cell"), help: "Only these cells (conv3x3, ResNet-like, avgpool; repeatable).") var cellNames: [String] = []
    @Flag(help: "Only the table of one 3×3 convolution per stage (median of --steps repeats).") var convolutionsOnly = false
    @Option(help: "nb201: NB201 networks and the convolution table; darts: DARTS networks (DARTS-V2 and an all-separable genotype) beside PyTorch measured in the same run.")
    var space: SpaceName = .nb201
    @Option(help: "darts: the Python that runs scripts/bench_pytorch_trainer.py (needs torch).") var python = "python3"

    func validate() throws {
        for name in networks where Self.reference[name] == nil {
            throw ValidationError("unknown network '\(name)': choose from C8N1, C16N1, C16N5")
        }
        for name in cellNames where !Self.cells.contains(where: { $0.0 == name }) {
            throw ValidationError("unknown cell '\(name)': choose from \(Self.cells.map(\.0).joined(separator: ", "))")
        }
    }

    /// PyTorch 2.15 on this CPU (oneDNN, 2 threads, SGD step included), training images/second (issue 5).
    static let reference: [String: [Double]] = ["C8N1": [1215, 1870, 1601], "C16N1": [515, 1085, 1052], "C16N5": [106, 345, 346]]
    static let cells: [(String, [Int])] = [("conv3x3", [3, 3, 3, 3, 3, 3]), ("ResNet-like", [3, 0, 3, 1, 0, 1]),
                                           ("avgpool", [4, 4, 4, 4, 4, 4])]

    func run() throws {
        Parallel.configure(threads: threads)
        print("OpenBLAS kernels: \(LinearAlgebraThreads.coreName), 3×3 convolutions: \(ShiftedConvolution.kernelDescription), "
              + "threads: \(threads), batch 128, 1 × 28 × 28\n")
        if space == .darts { return try dartsTable() }
        if !convolutionsOnly { networkTable() }
        if !convolutionsOnly && (!networks.isEmpty || !cellNames.isEmpty) { return }  // a filtered run: the rows asked for only
        print("\nOne 3×3 convolution per stage, batch 128 (where a C16N5 conv3x3 step spends most of its time; GFLOP/s count")
        print("the direct convolution's 2·9·C² multiply-adds per pixel, whatever the algorithm):\n")
        print("| channels | size | forward ms | forward GFLOP/s | backward ms | backward GFLOP/s |")
        print("|---|---|---|---|---|---|")
        for r in TrainerBenchmark.measureConvolutions(repeats: steps) {
            print("| \(r.channels) | \(r.size)×\(r.size) | \(String(format: "%.2f", r.forwardMilliseconds)) | \(String(format: "%.1f", r.forwardGFLOPS)) | "
                  + "\(String(format: "%.2f", r.backwardMilliseconds)) | \(String(format: "%.1f", r.backwardGFLOPS)) |")
        }
    }

    private func networkTable() {
        print("| network | cell | train img/s | PyTorch train img/s | ratio | inference img/s |")
        print("|---|---|---|---|---|---|")
        for (c, n) in [(8, 1), (16, 1), (16, 5)] {
            let key = "C\(c)N\(n)"
            if !networks.isEmpty && !networks.contains(key) { continue }
            for (i, cell) in Self.cells.enumerated() where cellNames.isEmpty || cellNames.contains(cell.0) {
                let row = TrainerBenchmark.measure(operations: cell.1, name: cell.0, channels: c, cells: n, steps: steps)
                let ref = Self.reference[key]![i]
                print("| \(key) | \(cell.0) | \(String(format: "%.0f", row.trainImagesPerSecond)) | \(String(format: "%.0f", ref)) | "
                      + "\(String(format: "%.2f", row.trainImagesPerSecond / ref)) | \(String(format: "%.0f", row.inferenceImagesPerSecond)) |")
            }
        }
    }
}
