import ANASOD
import Foundation
import Trainer

/// `anasod bench-trainer --space darts`: DARTS networks on the Swift trainer beside the same networks in
/// PyTorch, measured in the same run (this machine's speed drifts between runs).
extension BenchTrainer {
    /// DARTS-V2 and an all-separable genotype (the most depthwise work), at the proxy size and larger.
    static let dartsRows: [(name: String, genotype: String, channels: Int, cells: Int)] = {
        let v2 = "normal=|sep_conv_3x3~0|sep_conv_3x3~1|+|sep_conv_3x3~0|sep_conv_3x3~1|+|skip_connect~0|sep_conv_3x3~1|"
            + "+|skip_connect~0|dil_conv_3x3~2|;reduce=|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~1|skip_connect~2|"
            + "+|max_pool_3x3~0|skip_connect~2|+|max_pool_3x3~1|skip_connect~2|"
        let sep = "normal=" + (0..<4).map { "|sep_conv_3x3~\($0)|sep_conv_5x5~\($0 + 1)|" }.joined(separator: "+")
            + ";reduce=" + (0..<4).map { "|sep_conv_3x3~\($0)|dil_conv_5x5~\($0 + 1)|" }.joined(separator: "+")
        return [("DARTS-V2", v2, 8, 5), ("all-separable", sep, 8, 5), ("DARTS-V2", v2, 16, 8)]
    }()

    func dartsTable() throws {
        let reference = pytorchDARTS()
        print("| network | genotype | train img/s | PyTorch train img/s | ratio | inference img/s | PyTorch inference img/s |")
        print("|---|---|---|---|---|---|---|")
        for (i, row) in Self.dartsRows.enumerated() {
            let genotype = try DARTSSearchSpace().parse(row.genotype)
            let r = TrainerBenchmark.measure(.darts(genotype: genotype), name: row.name, channels: row.channels, cells: row.cells,
                                             steps: steps)
            let peer = reference.count > i ? reference[i] : nil
            func f(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "—" }
            print("| C\(row.channels)L\(row.cells) | \(row.name) | \(f(r.trainImagesPerSecond)) | \(f(peer?.train)) | "
                  + "\(peer.map { String(format: "%.2f", r.trainImagesPerSecond / $0.train) } ?? "—") | \(f(r.inferenceImagesPerSecond)) | \(f(peer?.inference)) |")
        }
        if reference.isEmpty {
            print("\n(no PyTorch column: `\(python) scripts/bench_pytorch_trainer.py` needs torch here, and runs from the repository root)")
        }
    }

    /// PyTorch's rates for `dartsRows`, from scripts/bench_pytorch_trainer.py on as many threads; empty
    /// when it cannot run.
    func pytorchDARTS() -> [(train: Double, inference: Double)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "scripts/bench_pytorch_trainer.py", "--json", "--threads", String(threads), "--steps", String(steps)]
            + Self.dartsRows.flatMap { ["--darts", "\($0.name)=\($0.genotype)@\($0.channels),\($0.cells)"] }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let train = object["train"] as? Double, let inference = object["inference"] as? Double else { return nil }
            return (train, inference)
        }
    }
}
