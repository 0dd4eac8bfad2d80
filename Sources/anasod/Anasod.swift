import ArgumentParser

@main
struct Anasod: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anasod",
        abstract: "ANASOD Cluster: neural-architecture search by operation-distribution learning (arXiv 2111.04670).",
        subcommands: [Analyze.self, Bench.self, Decode.self, Encode.self]
    )
}
