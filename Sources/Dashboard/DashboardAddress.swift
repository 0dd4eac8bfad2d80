import Cluster
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a dashboard's address goes. Beyond loopback the address carries the token, which is a password:
/// it is never logged. It is printed once to a terminal, and kept in a file only its owner can read (the
/// file `anasod status` reads); logs and non-terminal output get the address without it.
public enum DashboardAddress {
    /// `url` without its `?token=…`: what a log line may show.
    public static func withoutToken(_ url: String) -> String {
        String(url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The line to print for `url` on standard error: the whole address on a terminal (`toTerminal`), else
    /// the address without its token and where the token is kept (`file`).
    public static func announcement(_ url: String, file: String?, toTerminal: Bool) -> String {
        let bare = withoutToken(url)
        guard bare != url else { return "dashboard: \(url)" }
        if toTerminal || file == nil { return "dashboard: \(url) (bound beyond loopback: the token in the address is required)" }
        return "dashboard: \(bare) (bound beyond loopback: it needs the token kept in \(file!), readable by you only)"
    }

    /// Writes `url` and a newline to `path`, mode 0600: a new file (`O_EXCL`, never through a symbolic
    /// link) renamed over whatever was there, so the token is never readable by others, not even for a moment.
    /// - Throws: `ClusterError(.run)` naming the file.
    public static func write(_ url: String, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ClusterError(.run, "cannot create '\(temporary)': \(String(cString: strerror(errno)))")
        }
        let bytes = Array((url + "\n").utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, bytes.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ClusterError(.run, "cannot write the dashboard's address to '\(path)': \(reason)")
        }
    }
}
