import ServiceLifecycle

/// The progress bar of a running study as a `Service`: it redraws `ProgressLine` from `status` every
/// `interval` until the study finishes or the group shuts down (place it before the coordinator: it ends
/// after it), then, on the shutdown, draws the final state and leaves the bar on its own line.
public struct ProgressBarService: Service {
    public let bar: ProgressBar
    public let interval: Duration
    private let status: @Sendable () -> CoordinatorStatus

    public init(
        bar: ProgressBar = .shared, interval: Duration = .milliseconds(500),
        status: @escaping @Sendable () -> CoordinatorStatus
    ) {
        self.bar = bar
        self.interval = interval
        self.status = status
    }

    public func run() async throws {
        let (bar, interval, status) = (self.bar, self.interval, self.status)
        try? await cancelWhenGracefulShutdown {
            var current = status()
            while !current.finished {
                bar.show(ProgressLine.render(current, width: ProgressBar.columns))
                // Periodic redraw is timing itself: the rate and the time left move between results.
                try await Task.sleep(for: interval)
                current = status()
            }
            // The study is over: the last state is drawn when the group shuts down.
            try await gracefulShutdown()
        }
        bar.show(ProgressLine.render(status(), width: ProgressBar.columns))
        bar.finish()
    }
}
