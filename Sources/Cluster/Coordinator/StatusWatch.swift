import Foundation
import Synchronization

/// Lets callers await a running coordinator instead of polling it: its readiness (the transport started,
/// the loop running) and any condition on its published status. A condition already true answers at once;
/// otherwise it is checked at each publish, and a waiter that times out is told so.
final class StatusWatch: Sendable {
    private struct Waiter {
        var id: Int
        var condition: @Sendable (CoordinatorStatus) -> Bool
        var continuation: CheckedContinuation<CoordinatorStatus, Error>
    }

    private struct State {
        var latest: CoordinatorStatus?
        var ready = false
        var ended: Error?
        var waiters = [Waiter]()
        var readyWaiters = [CheckedContinuation<Void, Error>]()
        var nextID = 0
    }

    private let state = Mutex(State())

    /// A new status: every waiter whose condition now holds is answered.
    func publish(_ status: CoordinatorStatus) {
        let answered = state.withLock { s -> [(CheckedContinuation<CoordinatorStatus, Error>)] in
            s.latest = status
            let due = s.waiters.filter { $0.condition(status) }
            s.waiters.removeAll { w in due.contains { $0.id == w.id } }
            return due.map(\.continuation)
        }
        for continuation in answered { continuation.resume(returning: status) }
    }

    /// The coordinator listens and its loop runs.
    func markReady() {
        let waiting = state.withLock { s -> [CheckedContinuation<Void, Error>] in
            s.ready = true
            defer { s.readyWaiters.removeAll() }
            return s.readyWaiters
        }
        for continuation in waiting { continuation.resume() }
    }

    /// The loop ended (returned or threw): whoever still waits is told, with `error`.
    func end(_ error: Error) {
        let (waiters, readyWaiters) = state.withLock { s in
            s.ended = error
            defer {
                s.waiters.removeAll()
                s.readyWaiters.removeAll()
            }
            return (s.waiters, s.readyWaiters)
        }
        for w in waiters { w.continuation.resume(throwing: error) }
        for continuation in readyWaiters { continuation.resume(throwing: error) }
    }

    func ready() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
            let answer: Result<Void, Error>? = state.withLock { s in
                if s.ready { return .success(()) }
                if let ended = s.ended { return .failure(ended) }
                s.readyWaiters.append(continuation)
                return nil
            }
            if let answer { continuation.resume(with: answer) }
        }
    }

    func status(where condition: @escaping @Sendable (CoordinatorStatus) -> Bool, timeout: Double) async throws -> CoordinatorStatus {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        return try await withThrowingTaskGroup(of: CoordinatorStatus?.self) { group in
            group.addTask {
                try await withCheckedThrowingContinuation { continuation in
                    let answer: Result<CoordinatorStatus, Error>? = self.state.withLock { s in
                        if let latest = s.latest, condition(latest) { return .success(latest) }
                        if let ended = s.ended { return .failure(ended) }
                        s.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                        return nil
                    }
                    if let answer { continuation.resume(with: answer) }
                }
            }
            group.addTask {
                // The time limit of the wait itself (not a wait for something that could be awaited).
                try await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1e9))
                return nil
            }
            let first = try await group.next()!
            if let status = first {
                group.cancelAll()
                return status
            }
            // Timed out: the waiter is answered with the error, which ends its task.
            let waiter = state.withLock { s -> Waiter? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i)
            }
            let latest = state.withLock { $0.latest }
            let error = ClusterError(.run, "the coordinator's status did not reach the awaited condition within \(timeout) s"
                                     + (latest.map { " (last: \($0.successes)/\($0.budget) evaluated, refusals \($0.refusals))" } ?? ""))
            waiter?.continuation.resume(throwing: error)
            group.cancelAll()
            throw error
        }
    }
}

/// Why a coordinator's loop ended, for those awaiting its status.
struct CoordinatorEnded: Error, CustomStringConvertible {
    var description: String { "the coordinator's loop ended" }
}
