import Foundation
import Wire

/// Collects the events a transport delivers on its own thread (a fake peer's, a server's, a client's) and
/// lets a test wait for them with a deadline.
///
/// `wait(for:timeout:)` looks without taking; `take(timeout:_:)` removes the first event it accepts, so a
/// test can pick replies out of order while the rest stay queued.
public final class Inbox<Event: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var events = [Event]()

    public init() {}

    /// Adds an event and wakes a waiting test; pass it as the transport's handler (`start { inbox.append($0) }`).
    public func append(_ event: Event) {
        condition.lock()
        events.append(event)
        condition.signal()
        condition.unlock()
    }

    /// Waits until `count` events arrived (or `timeout` seconds passed) and returns every event so far.
    public func wait(for count: Int, timeout: Double = 10) -> [Event] {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while events.count < count && condition.wait(until: deadline) {}
        return events
    }

    /// Removes and returns the first event `match` accepts, waiting up to `timeout` seconds; nil when none came.
    public func take<T>(timeout: Double, _ match: (Event) -> T?) -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        repeat {
            if let index = events.firstIndex(where: { match($0) != nil }) { return match(events.remove(at: index)) }
        } while condition.wait(until: deadline)
        return nil
    }
}

extension Inbox where Event == ServerEvent {
    /// Removes and returns the first message (from any peer) that `match` accepts, waiting up to `timeout` seconds.
    public func next<T>(timeout: Double = 30, _ match: (WireMessage) -> T?) -> T? {
        take(timeout: timeout) { event in
            if case .message(_, let message) = event { match(message) } else { nil }
        }
    }
}
