import Foundation
@testable import Journal
import Testing

@Suite struct JournalLocationTests {
    static let mounts = """
    /dev/vda1 / ext4 rw,relatime 0 0
    tmpfs /tmp tmpfs rw 0 0
    server:/export /srv/shared nfs4 rw,vers=4.2 0 0
    //fs/team /srv/shared/smb\\040share cifs rw 0 0
    lustre@o2ib:/scratch /scratch lustre rw 0 0
    me@host:/data /mnt/remote fuse.sshfs rw 0 0
    """

    /// The journal's folder belongs to the longest mount point above it (names with spaces unescaped).
    @Test func theMountOfTheJournalsFolderDecides() {
        let cases: [(String, String)] = [("/srv/shared/runs", "nfs4"), ("/srv/shared", "nfs4"), ("/srv/sharedX", "ext4"),
                                         ("/srv/shared/smb share/x", "cifs"), ("/scratch/u", "lustre"), ("/tmp", "tmpfs"),
                                         ("/var/lib/anasod", "ext4"), ("/", "ext4")]
        for (folder, type) in cases {
            #expect(JournalLocation.mountType(ofFolder: folder, mounts: Self.mounts) == type, "\(folder)")
        }
    }

    @Test func networkFileSystemsAreRefusedLocalOnesAndUnknownFUSEAreNot() {
        for type in ["nfs", "nfs4", "cifs", "lustre", "gpfs", "ceph", "fuse.sshfs"] {
            #expect(JournalLocation.kind(type: type) == .network(type))
        }
        for type in ["ext4", "xfs", "btrfs", "tmpfs", "zfs", "overlay"] { #expect(JournalLocation.kind(type: type) == .local) }
        #expect(JournalLocation.kind(type: "fuse.mystery") == .unknown("fuse.mystery"))
    }

    /// This machine's temporary folder is local (a folder not yet made is judged by its nearest parent).
    @Test func aLocalFolderIsAccepted() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("not-yet/made/j.sqlite").path
        #expect(JournalLocation.problem(ofJournal: path) == nil)
    }
}
