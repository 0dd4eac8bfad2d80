import Foundation

/// The lines `anasod search` and `anasod coordinator` print on standard output when a study's run ends:
/// results, the best cell beside the recommended one, what was refused and quarantined (only when something was), and the journal.
public enum RunSummary {
    public static func lines(_ status: CoordinatorStatus, journal: String) -> [String] {
        var lines = [
            "study \(status.study): \(status.successes)/\(status.budget) evaluated"
                + (status.stopped > 0 ? " (\(status.stopped) stopped early)" : "") + ", \(status.failed) failed, "
                + String(format: "%.1f s", status.elapsed)
        ]
        lines += BestAndRecommended(status).lines
        let r = status.refusals
        if r != RefusalCounts() {
            lines.append(
                "dropped messages: \(r.unwelcomed) from peers never welcomed, \(r.notLeaseHolder) for leases the "
                    + "sender did not hold, \(r.invalidValues) with values out of range, \(r.refusedAdoptions) job "
                    + "claims refused, \(r.malformed) malformed, \(r.flooded) dropped from floods, "
                    + "\(r.takenIdentities) under another key's worker id; connections refused: \(r.unknownKeys) "
                    + "unknown key(s), \(r.revokedKeys) on revoked keys, \(r.failedHandshakes) failed handshake(s); "
                    + "\(r.evictedWorkers) worker(s) evicted, \(r.quarantinedWorkers) quarantine(s)"
            )
            if !status.keyRefusals.isEmpty {
                lines.append(
                    "refused by key: "
                        + status.keyRefusals.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map {
                            "\($0.key) \($0.value)"
                        }
                        .joined(separator: ", "))
            }
        }
        for (key, reason) in status.quarantined.sorted(by: { $0.key < $1.key }) {
            lines.append("quarantined key \(key): \(reason)")
        }
        lines.append("journal: \(journal)")
        return lines
    }
}
