import Foundation

/// The journal's database file on disk. It holds the study's configuration and every result: it is
/// created mode 0600 (SQLite gives its `-wal` and `-shm` files the same mode), and never reached through a
/// symbolic link, so a link planted at its name cannot send the coordinator's writes elsewhere.
enum JournalFile {
    /// Makes `path` ready for SQLite to open: creates it empty, mode 0600, without following links
    /// (`O_CREAT | O_EXCL | O_NOFOLLOW`) when it does not exist; refuses a symbolic link, or anything but a
    /// regular file, at its name or at its `-wal` and `-shm` names. An existing journal keeps its mode.
    /// - Throws: `JournalError.storage` naming the path and what is wrong.
    static func prepare(_ path: String) throws {
        for companion in [path + "-wal", path + "-shm"] {
            var info = stat()
            if lstat(companion, &info) == 0 { try check(info, companion) }
        }
        var info = stat()
        if lstat(path, &info) == 0 { return try check(info, path) }
        guard errno == ENOENT else { throw failure(path, String(cString: strerror(errno))) }
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
            return
        }
        // Made by someone else between the two calls: judged like any existing file.
        guard errno == EEXIST, lstat(path, &info) == 0 else { throw failure(path, String(cString: strerror(errno))) }
        try check(info, path)
    }

    private static func check(_ info: stat, _ path: String) throws {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFLNK:
            throw failure(path, "it is a symbolic link; a journal is never opened through one (give the real path)")
        default:
            throw failure(path, "it is not a regular file")
        }
    }

    private static func failure(_ path: String, _ why: String) -> JournalError {
        JournalError(.storage, "cannot open journal '\(path)': \(why)")
    }
}
