import Foundation

/// What the processor offers the trainer's hand-written kernels.
public enum CPUFeatures {
    /// The AVX-512 subset the `TrainerKernels` module is compiled for (F, BW, CD, DQ, VL: skylake-avx512),
    /// as the kernel reports it in /proc/cpuinfo (it lists a feature only when the OS saves its registers).
    public static let avx512: Bool = {
        #if arch(x86_64) && os(Linux)
        // No readable flags: the portable kernels, which run everywhere (only slower).
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
        return hasAVX512(flags: line)
        #else
        return false
        #endif
    }()

    /// Whether a /proc/cpuinfo `flags` line lists every feature the kernels need.
    static func hasAVX512(flags line: Substring) -> Bool {
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        return ["avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"].allSatisfy(flags.contains)
    }
}
