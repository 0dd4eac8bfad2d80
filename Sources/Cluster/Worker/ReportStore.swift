import ANASOD
import Foundation
import Wire

/// Results and failures of external-trainer jobs kept on disk until the coordinator acknowledges them:
/// `report.msgpack` in the attempt's own job folder (`<work-dir>/<study>/job-<id>-attempt-<n>/`), written
/// atomically (a temporary file renamed over it). A worker restarted with the same `--work-dir` finds
/// the reports its predecessor never saw acknowledged and sends them again once it knows the study
/// (cluster/PROTOCOL.md, *Acknowledgements*).
public struct ReportStore: Sendable {
    public let workDirectory: String

    public init(workDirectory: String) {
        self.workDirectory = workDirectory
    }

    /// The folder of one attempt (the same the external trainer works in).
    public static func jobFolder(workDirectory: String, study: String, key: JobKey) -> String {
        URL(fileURLWithPath: workDirectory).appendingPathComponent(study)
            .appendingPathComponent("job-\(key.jobID)-attempt-\(key.attempt)").path
    }

    func path(study: String, key: JobKey) -> String {
        Self.jobFolder(workDirectory: workDirectory, study: study, key: key) + "/report.msgpack"
    }

    /// Keeps `message` (a result or failure) until `remove`.
    /// - Throws: when the folder cannot be written (the report then lives in memory only).
    public func save(_ message: WireMessage, study: String, key: JobKey) throws {
        let folder = Self.jobFolder(workDirectory: workDirectory, study: study, key: key)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // `.atomic`: written to a temporary file, then renamed over the report (never half a report).
        try Data(message.encoded()).write(to: URL(fileURLWithPath: path(study: study, key: key)), options: .atomic)
    }

    /// Forgets the report of `key` (acknowledged, or its lease moved on).
    public func remove(study: String, key: JobKey) {
        try? FileManager.default.removeItem(atPath: path(study: study, key: key))
    }

    /// The reports kept for `study`, by job; a file that does not decode as a result or failure of its own
    /// folder's job is renamed `report.msgpack.bad` and named in `problems`.
    public func load(study: String) -> (reports: [JobKey: WireMessage], problems: [String]) {
        let root = URL(fileURLWithPath: workDirectory).appendingPathComponent(study).path
        // No folder for the study: nothing was stored for it (the first run of a study on this worker). The
        // folder is this worker's own, made by `save`; one it cannot list would also read as nothing kept.
        guard let folders = try? FileManager.default.contentsOfDirectory(atPath: root) else { return ([:], []) }
        var reports = [JobKey: WireMessage]()
        var problems = [String]()
        for folder in folders.sorted() where folder.hasPrefix("job-") {
            let file = "\(root)/\(folder)/report.msgpack"
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            let message = try? WireMessage.decode([UInt8](data))
            let key: JobKey? = switch message {
            case .result(let r)?: r.key
            case .failure(let f)?: f.key
            default: nil
            }
            guard let key, folder == "job-\(key.jobID)-attempt-\(key.attempt)", let message else {
                try? FileManager.default.moveItem(atPath: file, toPath: file + ".bad")  // named in `problems` anyway
                problems.append(file)
                continue
            }
            reports[key] = message
        }
        return (reports, problems)
    }
}
