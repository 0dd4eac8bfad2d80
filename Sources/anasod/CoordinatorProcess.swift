import BayesOpt
import Cluster
import Foundation

/// Process settings for a command that hosts a coordinator.
enum CoordinatorProcess {
    /// Raises the open-file limit (a descriptor per worker connection) and, unless `OPENBLAS_NUM_THREADS` says
    /// otherwise, runs BLAS on one thread: the coordinator's GPs are small, and OpenBLAS's idle threads spin
    /// on `sched_yield` after each call, taking the cores the socket and event-loop threads need (measured
    /// with `anasod bench cluster --simulated-workers`, cluster/SCALING.md).
    static func prepare() {
        FileLimit.raise()
        if ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] == nil { LinearAlgebraThreads.set(1) }
    }
}
