import Foundation

/// A value computed from the journal (a report page, the charts), kept until the study changes: computed
/// again only when the key it was computed for (`DashboardState.journalMarker`) differs, however many
/// requests and event streams ask. One computation at a time; the others wait for it and share the value.
final class ComputedOnChange<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: (key: Key, value: Value)?
    private var count = 0
    /// How many times a value was computed (for tests).
    var computations: Int { lock.withLock { count } }

    /// The value for `key`: the kept one when `key` is the key it was computed for, else `compute()`'s,
    /// kept unless nil (nothing to show yet is asked again next time).
    func value(for key: Key, compute: () throws -> Value?) rethrows -> Value? {
        lock.lock()
        defer { lock.unlock() }
        if let cached, cached.key == key { return cached.value }
        count += 1
        guard let value = try compute() else { return nil }
        cached = (key, value)
        return value
    }
}

extension DashboardState {
    /// What the views drawn from the journal depend on: it changes whenever a record they draw is added (a
    /// proposal or dispatch moves `queued`/`running`, a result, a failure, a progress epoch, the end). The
    /// views are computed again only when it changes (`ComputedOnChange`), not on every request.
    struct JournalMarker: Hashable {
        var counts: [Int]
        var jobs: [String]
    }

    var journalMarker: JournalMarker {
        JournalMarker(counts: [results, failed, running, queued, finished ? 1 : 0],
                      jobs: jobs.map { "\($0.job)/\($0.attempt)/\($0.epoch ?? -1)" })
    }
}
