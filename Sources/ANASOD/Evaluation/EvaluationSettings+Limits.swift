/// The bounds every party holds a study's settings to: the coordinator when a study starts, the wire
/// decoder for each job, and each worker again before it acts on a job (it trusts no job, issue 25).
extension EvaluationSettings {
    /// The longest time in seconds a setting may name (simulated training time, a job's timeout): about
    /// three years; far beyond any study, and small enough that nanoseconds fit a `UInt64`.
    public static let longestSeconds = 1e8

    /// `evaluator.kill_grace` when the study sets none: seconds between SIGTERM and SIGKILL of a trainer past
    /// its deadline. Not written to the journal or the wire when it is this value.
    public static let defaultKillGrace = 5.0

    /// The longest `evaluator.kill_grace` (seconds between SIGTERM and SIGKILL): an hour.
    public static let longestKillGrace = 3600.0

    /// The longest data-set name.
    public static let longestDatasetName = 128

    /// nil when `name` can name a data set: a plain name of 1…128 characters `A-Z a-z 0-9 . _ -`, not
    /// starting with a dot. Else why not. A data set is a name each worker resolves inside its own
    /// folders (its table folder, its trainer's data folder); a job never names a path.
    public static func datasetNameProblem(_ name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= longestDatasetName else {
            return "must be a name of 1…\(longestDatasetName) characters"
        }
        guard name.utf8.allSatisfy({ byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }) else {
            return "must be a data-set name (letters, digits, '.', '_', '-'), not a path: each worker finds its data in "
                + "its own folders"
        }
        guard !name.hasPrefix(".") else { return "must not start with '.'" }
        return nil
    }
}
