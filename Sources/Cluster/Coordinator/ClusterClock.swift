import Foundation
import Synchronization

/// Where the coordinator and the workers read the time: seconds that read as a date (since 1970) and never
/// jump. Injected, so that tests move time on by hand (`ManualClock`) instead of waiting for it.
public protocol ClusterClock: Sendable {
    func now() -> Double
}

/// The wall-clock time at start plus monotonic seconds since, so that leases, heartbeats and timeouts never
/// jump when the system clock is stepped (NTP, a suspended VM), while the times written to the journal still
/// read as dates.
public struct SystemClusterClock: ClusterClock {
    private let wallOrigin = Date().timeIntervalSince1970
    private let monotonicOrigin = ProcessInfo.processInfo.systemUptime

    public init() {}

    public func now() -> Double { wallOrigin + (ProcessInfo.processInfo.systemUptime - monotonicOrigin) }
}

/// A clock that moves only when told (tests): `advance(by:)` is a jump of that many seconds, as if they had
/// passed. It starts at the real time, so that what it stamps still reads as a date.
public final class ManualClock: ClusterClock {
    private let seconds: Mutex<Double>

    public init(start: Double = Date().timeIntervalSince1970) {
        seconds = Mutex(start)
    }

    public func now() -> Double { seconds.withLock { $0 } }

    public func advance(by delta: Double) {
        seconds.withLock { $0 += max(0, delta) }
    }
}
