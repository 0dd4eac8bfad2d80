import ArgumentParser

@main
struct Anasod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anasod",
        abstract: "ANASOD Cluster: neural-architecture search by operation-distribution learning (arXiv 2111.04670).",
        subcommands: [SearchCommand.self, CoordinatorCommand.self, WorkerCommand.self, StatusCommand.self, ExportCommand.self, Analyze.self, Bench.self, BenchCluster.self, BenchTrainer.self, Decode.self, Encode.self]
    )
}
