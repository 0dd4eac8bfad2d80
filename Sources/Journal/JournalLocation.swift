import Foundation

/// Where a journal lives, and whether SQLite can be trusted there. SQLite's WAL needs shared memory and
/// working POSIX locks between the writer and its readers; on network file systems (NFS, SMB, Lustre,
/// GPFS, CephFS, …) they are missing or unreliable, and a journal there can be corrupted or lose writes.
/// The coordinator refuses such a journal unless told to insist (`--allow-network-journal`). The file
/// system is the type of the mount that holds the journal's folder (/proc/self/mounts).
public enum JournalLocation {
    public enum Kind: Equatable, Sendable {
        case local
        /// A network or cluster file system, by its type.
        case network(String)
        /// A FUSE file system whose type does not say (local or remote).
        case unknown(String)
    }

    /// Mount types of network and cluster file systems (`fuse.sshfs` and the like by their subtype).
    static let networkTypes: Set<String> = [
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "lustre", "gpfs", "afs", "9p", "beegfs", "pvfs2", "orangefs",
        "ocfs2", "gfs2", "glusterfs", "fuse.sshfs", "fuse.glusterfs", "fuse.gcsfuse", "fuse.s3fs", "fuse.rclone",
        "fuse.cephfs", "fuse.juicefs", "fuse.beegfs", "davfs", "fuse.davfs2",
    ]

    /// The kind of a mount type.
    public static func kind(type: String) -> Kind {
        if networkTypes.contains(type) { return .network(type) }
        if type == "fuse" || type == "fuseblk" || type.hasPrefix("fuse.") { return .unknown(type) }
        return .local
    }

    /// The mount type of `folder` (an absolute path without symbolic links), from a mounts table (the
    /// format of /proc/self/mounts: `device mountpoint type options dump pass`, spaces in names as `\040`):
    /// that of the longest mount point above it.
    public static func mountType(ofFolder folder: String, mounts: String) -> String? {
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = fields[1].replacingOccurrences(of: "\\040", with: " ").replacingOccurrences(of: "\\011", with: "\t")
            let inside = point == "/" || folder == point || folder.hasPrefix(point + "/")
            if inside && point.count >= (best?.point.count ?? -1) { best = (point, String(fields[2])) }
        }
        return best?.type
    }

    /// The file system kind of the journal at `path` (`.local` when the mounts cannot be read).
    public static func kind(ofJournal path: String) -> Kind {
        // The folder that holds (or will hold) the journal: its nearest existing ancestor, links resolved.
        var folder = URL(fileURLWithPath: path).deletingLastPathComponent().standardizedFileURL.path
        while !FileManager.default.fileExists(atPath: folder), folder != "/" {
            folder = (folder as NSString).deletingLastPathComponent
        }
        folder = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        // No /proc (not Linux): nothing to tell the file system by, the journal is taken for local.
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8),
              let type = mountType(ofFolder: folder, mounts: mounts) else { return .local }
        return kind(type: type)
    }

    /// nil when the journal may live at `path`; else why not, and what to do.
    public static func problem(ofJournal path: String) -> String? {
        guard case .network(let type) = kind(ofJournal: path) else { return nil }
        return "journal '\(path)' is on a network file system (\(type)): SQLite's write-ahead log needs local locks and "
            + "shared memory, and can lose or corrupt writes there. Put the journal on a local disk (e.g. node-local "
            + "$TMPDIR or /var/lib/anasod; cluster/slurm/README.md shows how a batch job copies it back), or pass "
            + "--allow-network-journal to insist"
    }
}
