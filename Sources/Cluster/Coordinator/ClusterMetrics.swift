import CoreMetrics

/// The coordinator's metrics (swift-metrics), labelled by study; the dashboard serves them in
/// Prometheus's text format at `/metrics` (README: "Metrics"). Made from an explicit factory, so that each
/// coordinator (and each test) has its own registry and nothing is bootstrapped process-wide; without one
/// the handlers do nothing.
public final class ClusterMetrics: @unchecked Sendable {
    /// Accepted results.
    let evaluations: Counter
    /// Jobs that failed for good.
    let failed: Counter
    /// Failed attempts that were re-queued.
    let retried: Counter
    /// Messages refused (every kind of `RefusalCounts`).
    let refused: Counter
    let queueDepth: Gauge
    let leasesInFlight: Gauge
    let workersConnected: Gauge
    let bestError: Gauge
    /// Seconds from a result's arrival until its worker was sent its next job.
    let resultToJob: Timer
    /// Seconds of one propose call of the strategy (for the BO strategies: the GP fit and the acquisition).
    let proposal: Timer
    private var refusedSoFar = 0, evaluatedSoFar = 0, failedSoFar = 0

    /// The metric names, as Prometheus shows them (histograms add `_bucket`, `_sum`, `_count`).
    public static let names = [
        "anasod_evaluations_total", "anasod_evaluations_failed_total", "anasod_evaluations_retried_total",
        "anasod_refused_messages_total", "anasod_queue_depth", "anasod_leases_in_flight", "anasod_workers_connected",
        "anasod_best_validation_error", "anasod_result_to_job_seconds", "anasod_proposal_seconds",
    ]

    public init(study: String, factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        let labels = [("study", study)]
        evaluations = Counter(label: "anasod_evaluations_total", dimensions: labels, factory: factory)
        failed = Counter(label: "anasod_evaluations_failed_total", dimensions: labels, factory: factory)
        retried = Counter(label: "anasod_evaluations_retried_total", dimensions: labels, factory: factory)
        refused = Counter(label: "anasod_refused_messages_total", dimensions: labels, factory: factory)
        queueDepth = Gauge(label: "anasod_queue_depth", dimensions: labels, factory: factory)
        leasesInFlight = Gauge(label: "anasod_leases_in_flight", dimensions: labels, factory: factory)
        workersConnected = Gauge(label: "anasod_workers_connected", dimensions: labels, factory: factory)
        bestError = Gauge(label: "anasod_best_validation_error", dimensions: labels, factory: factory)
        resultToJob = Timer(label: "anasod_result_to_job_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory)
        proposal = Timer(label: "anasod_proposal_seconds", dimensions: labels, preferredDisplayUnit: .seconds, factory: factory)
    }

    /// The gauges from a status snapshot, and the counters of results, failed jobs and refusals up to its
    /// totals (results are journaled by the strategy's thread, so the snapshot is where they meet; called
    /// on the event loop only).
    func update(from s: CoordinatorStatus) {
        if s.successes > evaluatedSoFar {
            evaluations.increment(by: s.successes - evaluatedSoFar)
            evaluatedSoFar = s.successes
        }
        if s.failed > failedSoFar {
            failed.increment(by: s.failed - failedSoFar)
            failedSoFar = s.failed
        }
        queueDepth.record(s.queued)
        leasesInFlight.record(s.running)
        workersConnected.record(s.workers)
        if let best = s.best { bestError.record(best.value) }
        let total = s.refusals.total
        if total > refusedSoFar {
            refused.increment(by: total - refusedSoFar)
            refusedSoFar = total
        }
    }
}
