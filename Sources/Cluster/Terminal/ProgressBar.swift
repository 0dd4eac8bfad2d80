import Foundation
import Logging
import SystemPackage

/// One line at the bottom of a terminal, redrawn in place: done / budget, rate, time left, best error,
/// workers, running, failed. Log lines written through `StatusLineLogHandler` clear it first and redraw
/// it after, so events (a new best, a worker joining or lost, a failure) scroll above it.
public final class ProgressBar: @unchecked Sendable {
    public static let shared = ProgressBar()
    private let lock = NSLock()
    private var text: String?

    /// Whether standard error is a terminal (a bar there; log lines and a periodic summary otherwise).
    public static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// The terminal's width (80 when it cannot be asked).
    public static var columns: Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    public func show(_ line: String) {
        lock.withLock {
            text = line
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        }
    }

    /// Writes `body`'s output above the bar.
    public func above(_ body: () -> Void) {
        lock.withLock {
            if text != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            body()
            if let text { FileHandle.standardError.write(Data(text.utf8)) }
        }
    }

    /// The writing end of a pipe for a child's standard error, whose lines are written above the bar; the
    /// caller owns it (it closes it once the child started: the bar's end sees end-of-file when the child exits).
    public static func forwarding() throws -> FileDescriptor {
        let pipe = Pipe()
        let pending = LineBuffer()
        let reading = pipe.fileHandleForReading
        // The handler holds the reading end (and the handle holds the handler) until end-of-file.
        reading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                reading.readabilityHandler = nil
                if let rest = pending.flush() {
                    shared.above { FileHandle.standardError.write(rest + Data("\n".utf8)) }
                }
                return
            }
            for line in pending.lines(adding: data) { shared.above { FileHandle.standardError.write(line) } }
        }
        // A descriptor of its own (the FileHandle closes the pipe's), close-on-exec until a child takes it.
        let writing = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_DUPFD_CLOEXEC, 0)
        try? pipe.fileHandleForWriting.close()
        guard writing >= 0 else { throw ClusterError(.run, "cannot make a pipe: \(String(cString: strerror(errno)))") }
        return FileDescriptor(rawValue: writing)
    }

    /// Leaves the last bar on its own line.
    public func finish() {
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
public struct StatusLineLogHandler: LogHandler {
    public var inner: StreamLogHandler

    public init(inner: StreamLogHandler) {
        self.inner = inner
    }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        ProgressBar.shared.above { inner.log(event: event) }
    }
}
