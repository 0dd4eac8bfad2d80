import Foundation

/// Checks `condition` every `interval` seconds until it holds or `timeout` seconds pass; returns whether it
/// held. Only for state that nothing in this process can await: another process (its exit, the files and the
/// journal it writes), a signal's effect, the file system. State of this process is awaited instead
/// (`Coordinator.ready()`, `Coordinator.status(where:)`, inboxes). This file holds the test suite's only
/// polling sleeps.
@discardableResult
public func eventually(timeout: Double, every interval: Double = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval)
    }
}

/// `eventually` for async callers: the pause does not hold a thread.
@discardableResult
public func eventuallyAsync(timeout: Double, every interval: Double = 0.02, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try await condition() { return true }
        if Date() >= deadline { return false }
        try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))  // cancelled: the next check decides
    }
}
