/// A process that the cluster benchmark runs beside its coordinator (a worker, the load generator, a flooding
/// peer): what to start, and how its end is handled.
///
/// Contract (`ClusterBenchmark.run`, which starts and awaits it with swift-subprocess):
/// - It runs in a process group of its own, its standard error is this process's, its standard output this
///   process's or discarded.
/// - A process with `stopsStudyOnFailure` that exits other than with status 0 stops the study (the
///   coordinator would otherwise wait for it forever).
/// - Once the study has ended, each process is given `exitGrace` to exit on its own, then torn down: SIGTERM,
///   SIGKILL `killGrace` later. It has always exited when `run` returns or throws.
public struct BenchmarkProcess: Sendable {
    public var executable: String
    public var arguments: [String]
    /// Standard output to /dev/null rather than this process's.
    public var discardsOutput: Bool
    /// A non-zero exit (or a signal) stops the study.
    public var stopsStudyOnFailure: Bool
    /// How long after the study ended it may take to exit on its own before it is torn down (zero: at once).
    public var exitGrace: Duration

    public init(
        executable: String, arguments: [String], discardsOutput: Bool = false, stopsStudyOnFailure: Bool = false,
        exitGrace: Duration = .zero
    ) {
        self.executable = executable
        self.arguments = arguments
        self.discardsOutput = discardsOutput
        self.stopsStudyOnFailure = stopsStudyOnFailure
        self.exitGrace = exitGrace
    }
}
