import Foundation
import Testing

/// `anasod keys generate --count N --admit-to DIR`: per-node keys, each node its own trust domain (issue 25).
@Suite struct KeysCommandTests {
    @Test func perNodeKeysAreMadeAdmittedAndEachFolderIsAWorkersKeysFolder() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let coordinator = try CommandRunner.run(["keys", "generate", "\(root)/keys/coordinator"])
        #expect(coordinator.status == 0, "\(coordinator.stderr)")
        let nodes = try CommandRunner.run(["keys", "generate", "--count", "3", "--admit-to", "\(root)/keys", "\(root)/wkeys/node"])
        #expect(nodes.status == 0, "\(nodes.stderr)")
        var publicKeys = Set<String>()
        for i in 1...3 {
            let folder = "\(root)/wkeys/node-\(i)"
            for file in ["worker.key_secret", "worker.key", "coordinator.key"] {
                #expect(FileManager.default.fileExists(atPath: "\(folder)/\(file)"), "\(folder)/\(file)")
            }
            let mode = (try FileManager.default.attributesOfItem(atPath: "\(folder)/worker.key_secret")[.posixPermissions] as? Int) ?? 0
            #expect(mode & 0o077 == 0, "secret key mode \(String(mode, radix: 8))")
            // The admitted certificate is the node's own public key.
            let admitted = try CommandRunner.run(["keys", "show", "\(root)/keys/workers/node-\(i).key"])
            let own = try CommandRunner.run(["keys", "show", "\(folder)/worker.key_secret"])
            #expect(admitted.stdout == own.stdout && !own.stdout.isEmpty)
            publicKeys.insert(own.stdout)
            let copied = try CommandRunner.run(["keys", "show", "\(folder)/coordinator.key"])
            let original = try CommandRunner.run(["keys", "show", "\(root)/keys/coordinator.key"])
            #expect(copied.stdout == original.stdout)
        }
        #expect(publicKeys.count == 3)
        // Again: existing pairs are kept.
        let again = try CommandRunner.run(["keys", "generate", "--count", "3", "--admit-to", "\(root)/keys", "\(root)/wkeys/node"])
        #expect(again.status == 0)
        #expect(try CommandRunner.run(["keys", "show", "\(root)/wkeys/node-1/worker.key_secret"]).stdout
                == (try CommandRunner.run(["keys", "show", "\(root)/keys/workers/node-1.key"]).stdout))
        let bad = try CommandRunner.run(["keys", "generate", "--count", "0", "\(root)/wkeys/x"])
        #expect(bad.status != 0 && bad.stderr.contains("--count must be at least 1"))
        let noCoordinator = try CommandRunner.run(["keys", "generate", "--count", "1", "--admit-to", "\(root)/nowhere", "\(root)/wkeys/y"])
        #expect(noCoordinator.status != 0)
    }
}
