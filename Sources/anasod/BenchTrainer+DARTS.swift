import ANASOD
import Foundation
import Trainer

/// `anasod bench trainer --space darts`: DARTS networks on the Swift trainer beside the same networks in
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
        guard CPUFeatures.avx512 else {
            print("\n(no AVX-512 on this CPU: depthwise convolutions run the portable loops only)")
            return
        }
        print("\nThe same networks on the portable kernels (im2col + OpenBLAS, depthwise loops) beside the AVX-512 ones above:\n")
        print("| network | genotype | portable train img/s | AVX-512 train img/s | speed-up |")
        print("|---|---|---|---|---|")
        for row in Self.dartsRows {
            let genotype = try DARTSSearchSpace().parse(row.genotype)
            let portable = TrainerBenchmark.measure(.darts(genotype: genotype), name: row.name, channels: row.channels, cells: row.cells,
                                                    steps: steps, kernels: .generic)
            let fast = TrainerBenchmark.measure(.darts(genotype: genotype), name: row.name, channels: row.channels, cells: row.cells,
                                                steps: steps, kernels: .fastest)
            print("| C\(row.channels)L\(row.cells) | \(row.name) | \(String(format: "%.0f", portable.trainImagesPerSecond)) | "
                  + "\(String(format: "%.0f", fast.trainImagesPerSecond)) | \(String(format: "%.2f", fast.trainImagesPerSecond / portable.trainImagesPerSecond)) |")
        }
        depthwiseTable()
    }

    /// One depthwise convolution of each DARTS kind on the planes of a C16 network on 28 × 28 images,
    /// portable loops beside the AVX-512 shifted rows, in the same run.
    func depthwiseTable() {
        print("\nOne depthwise convolution (fused ReLU), batch 128, portable loops beside AVX-512 shifted rows:\n")
        print("| kernel | stride | dilation | channels | size | portable fwd ms | AVX-512 fwd ms | portable bwd ms | AVX-512 bwd ms | speed-up |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        let shapes = [(3, 1, 1), (5, 1, 1), (3, 1, 2), (5, 1, 2), (3, 2, 1), (5, 2, 1)]
        for (channels, size) in [(16, 28), (32, 14), (64, 7)] {
            for (k, s, d) in shapes {
                let portable = TrainerBenchmark.measureDepthwise(channels: channels, size: size, kernel: k, stride: s, dilation: d,
                                                                 kernels: .generic, repeats: steps)
                let fast = TrainerBenchmark.measureDepthwise(channels: channels, size: size, kernel: k, stride: s, dilation: d,
                                                             kernels: .fastest, repeats: steps)
                let speedUp = (portable.forwardMilliseconds + portable.backwardMilliseconds) / (fast.forwardMilliseconds + fast.backwardMilliseconds)
                func f(_ v: Double) -> String { String(format: "%.2f", v) }
                print("| \(k)×\(k) | \(s) | \(d) | \(channels) | \(size)² | \(f(portable.forwardMilliseconds)) | \(f(fast.forwardMilliseconds)) | "
                      + "\(f(portable.backwardMilliseconds)) | \(f(fast.backwardMilliseconds)) | \(f(speedUp)) |")
            }
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
        guard (try? process.run()) != nil else { return [] }  // no Python: the table's note says PyTorch did not run
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            // Lines that are not a JSON row are the script's own chatter; missing rows print as "—".
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let train = object["train"] as? Double, let inference = object["inference"] as? Double else { return nil }
            return (train, inference)
        }
    }
}
