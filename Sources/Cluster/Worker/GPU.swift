import Foundation
import Subprocess
import SystemPackage

/// One GPU slot of a worker: the index its jobs see through `CUDA_VISIBLE_DEVICES` and a name to announce.
public struct GPU: Hashable, Sendable {
    /// The `CUDA_VISIBLE_DEVICES` value (`0`, `1`, or a `GPU-…` UUID).
    public var index: String
    public var name: String?

    public init(index: String, name: String? = nil) {
        self.index = index
        self.name = name
    }

    /// What the worker's hello says of this GPU: `cuda:0 NVIDIA H200`.
    public var announcement: String { name.map { "cuda:\(index) \($0)" } ?? "cuda:\(index)" }

    /// Parses `--gpus 0,1,3`: distinct, non-empty ids without spaces.
    /// - Throws: `ClusterError.invalidConfiguration` naming the bad entry.
    public static func parseList(_ text: String) throws -> [GPU] {
        let ids = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for id in ids {
            guard !id.isEmpty, id.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw ClusterError(.invalidConfiguration, "--gpus: '\(id)' is not a GPU index (expected e.g. 0,1,2,3 or auto)")
            }
            guard seen.insert(id).inserted else { throw ClusterError(.invalidConfiguration, "--gpus: GPU \(id) is listed twice") }
        }
        return ids.map { GPU(index: $0) }
    }

    /// Parses `nvidia-smi -L`: lines `GPU 0: NVIDIA H200 (UUID: GPU-…)`; other lines (MIG devices) are
    /// skipped.
    public static func parseNvidiaSMI(_ output: String) -> [GPU] {
        output.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("GPU "), let colon = line.firstIndex(of: ":") else { return nil }
            let index = line[line.index(line.startIndex, offsetBy: 4)..<colon].trimmingCharacters(in: .whitespaces)
            guard !index.isEmpty, index.allSatisfy(\.isNumber) else { return nil }
            var name = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if let paren = name.range(of: " (UUID:") { name = String(name[..<paren.lowerBound]) }
            return GPU(index: index, name: name.isEmpty ? nil : name)
        }
    }

    /// `--gpus auto`: the GPUs `nvidia-smi -L` lists.
    /// - Throws: `ClusterError.invalidConfiguration` when nvidia-smi is missing, fails or lists none.
    public static func discover(nvidiaSMI: String = "nvidia-smi") async throws -> [GPU] {
        let status: TerminationStatus, output: String?, errorText: String?
        do {
            let executable: Executable = nvidiaSMI.contains("/") ? .path(FilePath(nvidiaSMI)) : .name(nvidiaSMI)
            let result = try await run(executable, arguments: ["-L"], output: .string(limit: 1 << 20), error: .string(limit: 1 << 16))
            (status, output, errorText) = (result.terminationStatus, result.standardOutput, result.standardError)
        } catch {
            throw ClusterError(.invalidConfiguration, "--gpus auto: cannot run \(nvidiaSMI) (\(error)); is the NVIDIA driver installed? Or list the GPUs: --gpus 0,1")
        }
        guard case .exited(0) = status else {
            let why = (errorText ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            throw ClusterError(.invalidConfiguration, "--gpus auto: \(nvidiaSMI) -L failed (\(status)): \(why)")
        }
        let gpus = parseNvidiaSMI(output ?? "")
        guard !gpus.isEmpty else { throw ClusterError(.invalidConfiguration, "--gpus auto: \(nvidiaSMI) -L lists no GPU") }
        return gpus
    }
}
