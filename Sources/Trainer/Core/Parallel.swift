import CLinearAlgebra
import Dispatch

/// Splits loops over independent items (samples, channels, planes, elements) across threads. Every item
/// is computed by exactly one thread with the same arithmetic as the serial loop, so results do not
/// depend on the thread count. `threads` is 1 by default (a worker runs one job per core); benchmarks and
/// single-job runs raise it.
public enum Parallel {
    nonisolated(unsafe) public static var threads = 1

    /// Uses `threads` threads for the trainer's loops and runs OpenBLAS single-threaded inside them (its
    /// own threads would spin between the many small GEMMs and compete with these for the cores).
    public static func configure(threads: Int) {
        self.threads = max(1, threads)
        openblas_set_num_threads(1)
    }

    /// Calls `body(range, chunk)` for `min(threads, ⌈count / minimum⌉)` contiguous ranges covering
    /// `0..<count`, concurrently when there is more than one.
    /// Pass `threads` when scratch buffers were sized for a thread count read earlier (chunk indices stay
    /// below it even if `Parallel.threads` changes meanwhile).
    @inline(__always)
    public static func chunks(_ count: Int, minimum: Int = 1, threads: Int = Parallel.threads, _ body: (Range<Int>, Int) -> Void) {
        let k = max(1, min(threads, count / max(1, minimum)))
        if k == 1 {
            body(0..<count, 0)
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = ChunkBody(body)
            DispatchQueue.concurrentPerform(iterations: k) { c in
                task.run((c * count / k)..<((c + 1) * count / k), c)
            }
        }
    }
}

/// The loop body handed to the worker threads; each call touches only its own range.
private final class ChunkBody: @unchecked Sendable {
    let run: (Range<Int>, Int) -> Void
    init(_ run: @escaping (Range<Int>, Int) -> Void) { self.run = run }
}
