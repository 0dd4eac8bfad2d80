import Logging

/// The process-wide logging of a command: swift-log's standard-error stream at `level` (info when the name
/// is not a level), written above the progress bar (`StatusLineLogHandler`).
public enum LogSetup {
    public static func bootstrap(_ level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return StatusLineLogHandler(inner: handler)
        }
    }
}
