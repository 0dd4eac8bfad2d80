import ANASOD

extension EvaluationSettings {
    /// Checks, on a worker, a job's settings before the worker acts on any of them. A worker trusts no job
    /// (issue 25): whatever the coordinator and the wire decoder checked, every number it uses must be
    /// finite and in range (`validate(space:)`, `longestSeconds`), the data set must be a plain name that
    /// the worker resolves inside its own folders, and no location may come from the job (`data_dir`):
    /// where the data lives is the worker's own configuration (`--nb201-dir`, the trainer's `--data-dir`
    /// or `$ANASOD_DATA_DIR`, cluster/TRAINER.md).
    /// - Parameters:
    ///   - space: the job's search space.
    ///   - timeout: the job's timeout in seconds (the wire's `timeout`; `jobs.timeout` of the study).
    /// - Throws: `EvaluationError.invalidSettings` (class `configuration`) naming the field.
    public func checkOnWorker(space: String, timeout: Double) throws {
        func fail(_ message: String) -> EvaluationError { EvaluationError(.invalidSettings, message) }
        guard timeout.isFinite, timeout > 0, timeout <= Self.longestSeconds else {
            throw fail("'jobs.timeout' (the job's 'timeout') must be a number of seconds in (0, \(Self.longestSeconds)], got \(timeout)")
        }
        if let directory = dataDirectory {
            throw fail("'evaluator.data_dir: \(directory.prefix(200))' names a folder, and a job names a data set, never a "
                       + "path: each worker's data folder is its own (the trainer's --data-dir or $ANASOD_DATA_DIR); "
                       + "remove 'data_dir' from the study")
        }
        do {
            try validate(space: space)
        } catch let error as ANASODError {
            throw fail(error.message)
        }
    }
}
