import Foundation
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

/// OpenBLAS 0.3.21 does not know recent Xeons and falls back to its slowest (`Prescott`) kernels, about
/// 4.5× slower GEMM (PLATFORM.md). The kernel set is chosen when the library loads, so it can only be
/// fixed by setting `OPENBLAS_CORETYPE` before the process starts; the CLI re-executes itself with it.
public enum OpenBLASCoreSelection {
    /// The core type to ask for, or nil when OpenBLAS already picked a real one, the user set
    /// `OPENBLAS_CORETYPE`, or the CPU has neither AVX-512 nor AVX2.
    public static func recommendation(environment: [String: String], cpuFlags: String?) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, LinearAlgebraThreads.coreName.lowercased() == "prescott",
              let flags = cpuFlags else { return nil }
        let set = Set(flags.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
        if set.contains("avx512f") && set.contains("avx512bw") { return "SkylakeX" }
        if set.contains("avx2") { return "Haswell" }
        return nil
    }

    /// The `flags` line of /proc/cpuinfo (Linux), or nil.
    public static func cpuFlags() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("flags") }.map(String.init)
    }
}
