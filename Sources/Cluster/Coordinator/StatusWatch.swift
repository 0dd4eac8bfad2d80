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
        /// Waiters given up on (time limit, cancellation) before they registered.
        var abandoned = [Int: Error]()
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
        // One continuation, answered exactly once by whoever takes its waiter out under the lock: a publish that
        // meets the condition, the end of the loop, the time limit, or the caller's cancellation. A time limit
        // or a cancellation that comes before the waiter is registered leaves a mark, so it is answered at once.
        let timer = Task {
            // The time limit of the wait itself (not a wait for something that could be awaited).
            try? await Task.sleep(nanoseconds: UInt64(max(0, timeout) * 1e9))
            if !Task.isCancelled { self.abandon(id, with: self.timeoutError(timeout)) }
        }
        defer {
            timer.cancel()
            state.withLock { _ = $0.abandoned.removeValue(forKey: id) }  // a mark left by a race, if any
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<CoordinatorStatus, Error>) in
                let answer: Result<CoordinatorStatus, Error>? = state.withLock { s in
                    if let error = s.abandoned.removeValue(forKey: id) { return .failure(error) }
                    if let latest = s.latest, condition(latest) { return .success(latest) }
                    if let ended = s.ended { return .failure(ended) }
                    s.waiters.append(Waiter(id: id, condition: condition, continuation: continuation))
                    return nil
                }
                if let answer { continuation.resume(with: answer) }
            }
        } onCancel: {
            self.abandon(id, with: CancellationError())
        }
    }

    /// Answers waiter `id` with `error` if it still waits; if it has not registered yet, marks it so that it is
    /// answered as it does.
    private func abandon(_ id: Int, with error: Error) {
        let waiter = state.withLock { s -> Waiter? in
            if let i = s.waiters.firstIndex(where: { $0.id == id }) { return s.waiters.remove(at: i) }
            s.abandoned[id] = error
            return nil
        }
        waiter?.continuation.resume(throwing: error)
    }

    private func timeoutError(_ timeout: Double) -> Error {
        let latest = state.withLock { $0.latest }
        return ClusterError(.run, "the coordinator's status did not reach the awaited condition within \(timeout) s"
                            + (latest.map { " (last: \($0.successes)/\($0.budget) evaluated, refusals \($0.refusals))" } ?? ""))
    }
}

/// Why a coordinator's loop ended, for those awaiting its status.
struct CoordinatorEnded: Error, CustomStringConvertible {
    var description: String { "the coordinator's loop ended" }
}
