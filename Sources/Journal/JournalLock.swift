import Foundation

/// The journal's one-writer guarantee: an exclusive `flock` on `JOURNAL.lock`, held for the writer's
/// life. The kernel releases it when the process dies (`kill -9` included), so a crashed coordinator never
/// leaves a stale lock; a second coordinator on the same journal is refused with the holder's pid.
/// (flock is advisory and may not work on network file systems: keep journals on local disk.)
public final class JournalLock: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    /// Takes the lock for the journal at `journalPath`. The lock file is created mode 0600 and never through
    /// a symbolic link (`O_NOFOLLOW`): a link planted at its name is refused, not followed.
    /// - Throws: `JournalError.locked` naming the process that holds it, `.storage` when the lock file
    ///   cannot be made or is a symbolic link.
    public init(journalPath: String) throws {
        path = journalPath + ".lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "it is a symbolic link (remove it; the lock file is never followed through a link)"
                : String(cString: strerror(errno))
            throw JournalError(.storage, "cannot create the journal's lock file '\(path)': \(reason)")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw JournalError(.storage, "the journal's lock file '\(path)' is not a regular file: remove it")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            throw JournalError(.locked, "journal '\(journalPath)' is in use by another coordinator (pid \(holder)); "
                               + "stop it first, or choose another journal")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        descriptor = fd
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
