import Foundation

/// The coordinator's clock: the wall-clock time at start plus monotonic seconds since, so that leases,
/// heartbeats and timeouts never jump when the system clock is stepped (NTP, a suspended VM), while the
/// times written to the journal still read as dates.
struct ClusterClock: Sendable {
    private let wallOrigin = Date().timeIntervalSince1970
    private let monotonicOrigin = ProcessInfo.processInfo.systemUptime

    func now() -> Double { wallOrigin + (ProcessInfo.processInfo.systemUptime - monotonicOrigin) }
}
