import CLinearAlgebra

/// The OpenBLAS thread pool shared by BLAS and LAPACKE.
public enum LinearAlgebraThreads {
    /// Sets how many threads OpenBLAS uses (1 when the caller runs its own parallel jobs).
    public static func set(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The kernel set OpenBLAS chose for this CPU (e.g. `Haswell`, `SkylakeX`, or the slow `Prescott`).
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }
}
