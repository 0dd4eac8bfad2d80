@testable import Cluster
import Foundation
import Logging
import TestSupport
import Testing
import Wire

/// The allow-list follows `KEYS/workers/` at once on SIGHUP, without waiting for the folder poll.
@Suite(.serialized) struct KeyWatcherTests {
    @Test func sighupReReadsTheWorkersFolderAtOnce() throws {
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: keys + "/workers", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        let allowed = CurveAllowList()
        // A poll an hour apart: only the signal can make it notice in time.
        let watcher = KeyWatcher(directory: keys, allowed: allowed, logger: Logger(label: "test"), interval: 3600)
        defer { watcher.stop() }
        let pair = try CurveKeyPair.generate()
        try CurveCertificate.write(pair, base: keys + "/w1", name: "w1")
        try FileManager.default.moveItem(atPath: keys + "/w1.key", toPath: keys + "/workers/w1.key")  // public keys only there
        #expect(allowed.name(of: pair.publicKey) == nil)
        kill(getpid(), SIGHUP)
        eventually(timeout: 5) { allowed.name(of: pair.publicKey) != nil }  // a signal's effect
        #expect(allowed.name(of: pair.publicKey) != nil, "SIGHUP did not re-read the folder")
        // And a removed key is revoked on the next SIGHUP.
        try FileManager.default.removeItem(atPath: keys + "/workers/w1.key")
        kill(getpid(), SIGHUP)
        eventually(timeout: 5) { allowed.name(of: pair.publicKey) == nil }
        #expect(allowed.name(of: pair.publicKey) == nil)
    }
}
