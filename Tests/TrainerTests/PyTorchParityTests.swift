import ANASOD
import Foundation
import Testing
@testable import Trainer

/// The Swift networks against the reference trainer's PyTorch builders (scripts/train_cell.py
/// --count-params, which builds scripts/darts_network.py's NetworkCIFAR or the NB201 skeleton): the same
/// parameters, to the parameter, and the same multiply-accumulates, for several genotypes and sizes.
/// The reference trainer's Python with torch, when this machine has one.
enum PyTorchReference {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/train_cell.py").path

    static let available: Bool = (try? python(["-c", "import torch, numpy"]).status) == 0

    static func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

@Suite(.enabled(if: PyTorchReference.available, "needs PyTorch for the reference builders (python3 -m pip install torch numpy)"))
struct PyTorchParityTests {
    struct Sizes: Decodable, Equatable {
        var parameters: Int
        var evaluation_parameters: Int
        var macs: Int
    }

    static func reference(_ arch: String, space: String, channels: Int, cells: Int, dataset: String, auxiliary: Bool) throws -> Sizes {
        let run = try PyTorchReference.python([PyTorchReference.script, "--count-params", "--space", space, "--arch", arch, "--channels", String(channels),
                              "--cells", String(cells), "--dataset", dataset, "--auxiliary-weight", auxiliary ? "0.4" : "0"])
        #expect(run.status == 0, "train_cell.py --count-params failed: \(run.output)")
        return try JSONDecoder().decode(Sizes.self, from: Data(run.output.utf8))
    }

    /// DARTS-V1 and -V2, an all-separable and an all-skip genotype, and random ones; CIFAR-size networks
    /// with the auxiliary head, and Fashion-MNIST proxies without.
    static var dartsCases: [(String, Int, Int, String, Bool)] {
        var rng = SplitMix(state: 2111)
        let space = DARTSSearchSpace()
        let random = (0..<3).map { _ in space.format(space.randomArchitecture(using: &rng)) }
        let v1 = "normal=|sep_conv_3x3~0|sep_conv_3x3~1|+|skip_connect~0|sep_conv_3x3~1|+|skip_connect~0|sep_conv_3x3~1|"
            + "+|sep_conv_3x3~0|skip_connect~2|;reduce=|max_pool_3x3~0|max_pool_3x3~1|+|max_pool_3x3~0|skip_connect~2|"
            + "+|max_pool_3x3~0|skip_connect~2|+|avg_pool_3x3~0|skip_connect~2|"
        let sep = "normal=" + (0..<4).map { i in "|sep_conv_5x5~\(i)|sep_conv_3x3~\(i + 1)|" }.joined(separator: "+")
            + ";reduce=" + (0..<4).map { i in "|dil_conv_5x5~\(i)|dil_conv_3x3~\(i + 1)|" }.joined(separator: "+")
        let skip = "normal=" + (0..<4).map { i in "|skip_connect~\(i)|skip_connect~\(i + 1)|" }.joined(separator: "+")
            + ";reduce=" + (0..<4).map { i in "|skip_connect~\(i)|avg_pool_3x3~\(i + 1)|" }.joined(separator: "+")
        return [(DARTSNetworkTests.dartsV2, 36, 20, "cifar10", true), (v1, 36, 20, "cifar10", true), (sep, 16, 8, "cifar10", true),
                (skip, 16, 8, "cifar10", false), (random[0], 8, 5, "fashion-mnist", false), (random[1], 12, 6, "fashion-mnist", false),
                (random[2], 36, 20, "cifar10", true)]
    }

    @Test func dartsNetworksAgreeToTheParameter() throws {
        for (arch, channels, cells, dataset, auxiliary) in Self.dartsCases {
            let genotype = try DARTSSearchSpace().parse(arch)
            var rng = TestRNG(state: 1)
            let (side, inputs) = dataset == "cifar10" ? (32, 3) : (28, 1)
            let network = DARTSNetwork(genotype: genotype, channels: channels, layers: cells, inputChannels: inputs, classes: 10,
                                       auxiliary: auxiliary, kernels: .generic, rng: &rng)
            let swift = Sizes(parameters: network.parameterCount, evaluation_parameters: network.evaluationParameterCount,
                              macs: network.multiplyAccumulates(h: side, w: side))
            let reference = try Self.reference(arch, space: "darts", channels: channels, cells: cells, dataset: dataset, auxiliary: auxiliary)
            #expect(swift == reference, "\(arch) at C=\(channels), L=\(cells) on \(dataset)")
        }
    }

    @Test func nb201NetworksAgreeToTheParameter() throws {
        for (ops, channels, cells) in [([3, 0, 3, 1, 0, 1], 16, 5), ([3, 3, 3, 3, 3, 3], 8, 1), ([2, 4, 1, 0, 3, 2], 12, 2)] {
            var rng = TestRNG(state: 1)
            let network = NB201Network(operations: ops, channels: channels, cellsPerStage: cells, inputChannels: 1, classes: 10, rng: &rng)
            let names = ops.map { NB201SearchSpace.operationNames[$0] }
            let arch = "|\(names[0])~0|+|\(names[1])~0|\(names[2])~1|+|\(names[3])~0|\(names[4])~1|\(names[5])~2|"
            let reference = try Self.reference(arch, space: "nb201", channels: channels, cells: cells, dataset: "fashion-mnist", auxiliary: false)
            #expect(network.parameterCount == reference.parameters, "\(arch)")
            #expect(network.multiplyAccumulates(h: 28, w: 28) == reference.macs, "\(arch)")
        }
    }
}
