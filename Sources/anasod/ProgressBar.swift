import Cluster
import Foundation
import Logging

/// One line at the bottom of a terminal, redrawn in place: done / budget, rate, time left, best error,
/// workers, running, failed. Log lines written through `StatusLineLogHandler` clear it first and redraw
/// it after, so events (a new best, a worker joining or lost, a failure) scroll above it.
final class ProgressBar: @unchecked Sendable {
    static let shared = ProgressBar()
    private let lock = NSLock()
    private var text: String?

    /// Whether standard error is a terminal (a bar there; log lines and a periodic summary otherwise).
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// The terminal's width (80 when it cannot be asked).
    static var columns: Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    func show(_ line: String) {
        lock.withLock {
            text = line
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        }
    }

    /// Writes `body`'s output above the bar.
    func above(_ body: () -> Void) {
        lock.withLock {
            if text != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            body()
            if let text { FileHandle.standardError.write(Data(text.utf8)) }
        }
    }

    /// A pipe for a child's standard error whose lines are written above the bar.
    static func forwarding() -> Pipe {
        let pipe = Pipe()
        let pending = LineBuffer()
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                if let rest = pending.flush() { shared.above { FileHandle.standardError.write(rest + Data("\n".utf8)) } }
                return
            }
            for line in pending.lines(adding: data) { shared.above { FileHandle.standardError.write(line) } }
        }
        return pipe
    }

    /// Leaves the last bar on its own line.
    func finish() {
        lock.withLock {
            if text != nil { FileHandle.standardError.write(Data("\n".utf8)) }
            text = nil
        }
    }
}

/// Bytes cut into whole lines (each with its newline), the rest kept for the next read.
final class LineBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()

    func lines(adding data: Data) -> [Data] {
        lock.withLock {
            buffer.append(data)
            var out = [Data]()
            while let end = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                out.append(Data(buffer[buffer.startIndex...end]))
                buffer = Data(buffer[buffer.index(after: end)...])
            }
            return out
        }
    }

    func flush() -> Data? {
        lock.withLock {
            defer { buffer = Data() }
            return buffer.isEmpty ? nil : buffer
        }
    }
}

/// swift-log's stream handler, writing above the progress bar.
struct StatusLineLogHandler: LogHandler {
    var inner: StreamLogHandler

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        ProgressBar.shared.above { inner.log(event: event) }
    }
}
