import Cluster
import Foundation
import Journal

/// What `anasod status` shows: the live state when the study's dashboard answers (its address as given, else
/// the one recorded beside the journal), else the journal's (`StatusView`); the last line says which.
public enum StudyStatus {
    /// - Throws: `JournalError` or `ClusterError` when the journal cannot be read or holds no study yet.
    public static func snapshot(journal: String, dashboard: String? = nil) async throws -> StatusView {
        var unreadable: String?
        var address = dashboard
        if address == nil {
            do {
                address = try recordedAddress(journal: journal)
            } catch {
                unreadable = "\(error)"
            }
        }
        if let address, let state = await DashboardClient.state(at: address) {
            return StatusView(
                lines: state.lines + [
                    "(live, from the coordinator's dashboard \(address.split(separator: "?").first ?? ""))"
                ],
                finished: state.finished)
        }
        var view = StatusView(try StudyReport(journal: try SQLiteJournal(path: journal)))
        if let unreadable {
            view.lines.append("(from the journal: \(unreadable))")
        } else if address != nil {
            view.lines.append("(from the journal: the dashboard recorded beside it did not answer)")
        }
        return view
    }

    /// The address in `<journal>.dashboard`, or nil when there is none (no dashboard, or its coordinator ended).
    /// - Throws: `ClusterError` when the file is there but cannot be read (it is its owner's only: it may hold a
    ///   token).
    static func recordedAddress(journal: String) throws -> String? {
        let file = DashboardService.addressFile(forJournal: journal)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        do {
            return try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw ClusterError(.run, "cannot read the dashboard's address in '\(file)': \(error.localizedDescription)")
        }
    }
}
