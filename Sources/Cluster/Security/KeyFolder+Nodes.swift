import Foundation
import Wire

extension KeyFolder {
    /// Makes one key pair per worker node, so that each node is its own trust domain (cluster/SECURITY.md):
    /// `BASE-1 … BASE-N` folders, each holding `worker.key_secret` and `worker.key` (what `anasod worker
    /// --keys BASE-i` reads) and, with `coordinatorDirectory`, a copy of the coordinator's public
    /// `coordinator.key`, whose `workers/BASE-i.key` then admits that node. Existing pairs are kept.
    /// - Returns: the node folders, in order.
    /// - Throws: `ClusterError(.invalidConfiguration)` when the coordinator's folder has no public key, or
    ///   `.run` when a file cannot be written.
    @discardableResult
    public static func makeNodeKeys(base: String, count: Int, coordinatorDirectory: String?) throws -> [String] {
        guard count >= 1 else { throw ClusterError(.invalidConfiguration, "--count must be at least 1, got \(count)") }
        let name = (base as NSString).lastPathComponent
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains(".key") else {
            throw ClusterError(.invalidConfiguration, "give PATH/NAME without an extension (wkeys/node makes wkeys/node-1 … wkeys/node-N)")
        }
        var coordinatorKey: CurveKeyPair?
        if let coordinatorDirectory {
            coordinatorKey = try certificate(path(coordinatorDirectory, coordinatorName + ".key"), secret: false)
        }
        var folders = [String]()
        do {
            for index in 1...count {
                let node = "\(name)-\(index)"
                let folder = path((base as NSString).deletingLastPathComponent, node)
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                chmod(folder, 0o700)
                let own = path(folder, workerName)
                if !FileManager.default.fileExists(atPath: own + ".key_secret") {
                    try CurveCertificate.write(try CurveKeyPair.generate(), base: own, name: node, overwrite: true)
                }
                if let coordinatorDirectory, let coordinatorKey {
                    let pair = try certificate(own + ".key", secret: false)
                    try FileManager.default.createDirectory(atPath: path(coordinatorDirectory, workersFolder),
                                                            withIntermediateDirectories: true)
                    try CurveCertificate.writePublic(pair, path: path(coordinatorDirectory, "\(workersFolder)/\(node).key"), name: node)
                    try CurveCertificate.writePublic(coordinatorKey, path: path(folder, coordinatorName + ".key"), name: coordinatorName)
                }
                folders.append(folder)
            }
        } catch let error as ClusterError {
            throw error
        } catch let error as WireError {
            throw ClusterError(.run, "cannot make node keys under '\(base)': \(error.message)")
        } catch {
            throw ClusterError(.run, "cannot make node keys under '\(base)': \(error.localizedDescription)")
        }
        return folders
    }
}
