import Foundation

/// Runs a long, blocking test body (training, waiting for processes) on a thread of its own, so it does
/// not hold one of the few Swift-concurrency threads (as many as cores) that the other tests, running in
/// parallel, need.
public func offPool(_ body: @escaping @Sendable () throws -> Void) async throws {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
