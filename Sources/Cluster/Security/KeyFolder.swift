import Foundation
import Wire

/// The keys folder layout (cluster/SECURITY.md):
///
///     DIR/coordinator.key_secret   the coordinator's key pair (mode 0600; only on the coordinator's machine)
///     DIR/coordinator.key          its public certificate, copied to every worker
///     DIR/workers/NAME.key         the public certificate of each worker the coordinator admits
///     DIR/worker.key_secret        a worker's own key pair (on the worker's machine)
public enum KeyFolder {
    public static let coordinatorName = "coordinator"
    public static let workerName = "worker"
    public static let workersFolder = "workers"

    /// The coordinator's key pair and the workers it admits.
    /// - Throws: `ClusterError(.invalidConfiguration)` when the folder or the coordinator's secret key is missing
    ///   or unusable; a bad worker certificate is an error too (at start-up nothing is half-trusted).
    public static func coordinator(_ directory: String) throws -> (keys: CurveKeyPair, workers: [String: String]) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ClusterError(.invalidConfiguration, "keys folder '\(directory)' does not exist; make it with "
                               + "'anasod keys generate \(directory)/coordinator' (cluster/SECURITY.md)")
        }
        let keys = try certificate(path(directory, coordinatorName + ".key_secret"), secret: true)
        let read = workerKeys(directory)
        // A coordinator may start with no workers/ folder yet (keys are added while it runs).
        if read.folderRead, let first = read.problems.first { throw ClusterError(.invalidConfiguration, first) }
        return (keys, read.keys)
    }

    /// What `DIR/workers/*.key` held when it was read.
    public struct WorkerKeys: Sendable {
        /// Z85 public key → name (the file name without `.key`).
        public var keys: [String: String]
        /// A message for each file that could not be used.
        public var problems: [String]
        /// The names of `.key` files present but unreadable (a partial write, a permission glitch).
        public var unreadable: Set<String>
        /// False when the folder itself could not be listed (missing, renamed away, an NFS hiccup).
        public var folderRead: Bool
    }

    /// The admitted workers' public keys in `DIR/workers/*.key`, and what could not be read.
    public static func workerKeys(_ directory: String) -> WorkerKeys {
        let folder = path(directory, workersFolder)
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            return WorkerKeys(keys: [:], problems: ["cannot list '\(folder)': \(error.localizedDescription)"], unreadable: [],
                              folderRead: false)
        }
        var result = WorkerKeys(keys: [:], problems: [], unreadable: [], folderRead: true)
        for name in names.sorted() where name.hasSuffix(".key") {
            do {
                let pair = try CurveCertificate.read(path(folder, name))
                result.keys[pair.publicKey] = String(name.dropLast(4))
            } catch let error as WireError {
                result.problems.append(error.message)
                result.unreadable.insert(String(name.dropLast(4)))
            } catch {
                result.problems.append("certificate '\(path(folder, name))': \(error)")
                result.unreadable.insert(String(name.dropLast(4)))
            }
        }
        for name in names where name.hasSuffix(".key_secret") {
            result.problems.append("'\(path(folder, name))' is a secret key: the workers/ folder holds public certificates "
                                   + "(NAME.key) only; move the secret key to its worker's machine")
        }
        return result
    }

    /// What changes when a certificate is added, removed or rewritten in `DIR/workers`.
    static func signature(_ directory: String) -> [String: String] {
        let folder = path(directory, workersFolder)
        var signature = [String: String]()
        // A folder that cannot be listed has no keys: the coordinator's reload says how many it admits.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path(folder, name))
            let size = attributes?[.size] as? Int ?? -1
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            signature[name] = "\(size)@\(modified)"
        }
        return signature
    }

    /// A worker's security: its own key pair (`--key FILE`, else `DIR/worker.key_secret`) and the
    /// coordinator's public key (`--coordinator-key FILE`, else `DIR/coordinator.key`); nil without any key
    /// flag (plain, for loopback only).
    public static func worker(directory: String?, key: String?, coordinatorKey: String?) throws -> ClientSecurity? {
        guard directory != nil || key != nil || coordinatorKey != nil else { return nil }
        func needed(_ what: String, _ flag: String) -> ClusterError {
            ClusterError(.invalidConfiguration, "the worker needs \(what): pass --keys DIR or \(flag)")
        }
        guard let ownPath = key ?? directory.map({ path($0, workerName + ".key_secret") }) else {
            throw needed("its own secret key", "--key FILE")
        }
        guard let coordinatorPath = coordinatorKey ?? directory.map({ path($0, coordinatorName + ".key") }) else {
            throw needed("the coordinator's public key", "--coordinator-key FILE")
        }
        let own = try certificate(ownPath, secret: true)
        let coordinator = try certificate(coordinatorPath, secret: false)
        return .curve(own, coordinator: coordinator.publicKey)
    }

    /// Makes what `anasod search` needs in `directory`: the coordinator's pair and one pair per local worker
    /// (`local/NAME.key_secret`, public half in `workers/NAME.key`), keeping any that exist (a resumed run
    /// keeps its keys, so remote workers that joined it still get in).
    public static func makeLocalSet(_ directory: String, workers: [String]) throws {
        do {
            try FileManager.default.createDirectory(atPath: path(directory, workersFolder), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path(directory, "local"), withIntermediateDirectories: true)
            chmod(directory, 0o700)
            chmod(path(directory, "local"), 0o700)
            let coordinator = path(directory, coordinatorName)
            if !FileManager.default.fileExists(atPath: coordinator + ".key_secret") {
                try CurveCertificate.write(try CurveKeyPair.generate(), base: coordinator, name: coordinatorName, overwrite: true)
            }
            try makeWorkerPairs(directory, workers: workers)
        } catch let error as ClusterError {
            throw error
        } catch let error as WireError {
            throw ClusterError(.run, "cannot make the run's keys in '\(directory)': \(error.message)")
        } catch {
            throw ClusterError(.run, "cannot make the run's keys in '\(directory)': \(error.localizedDescription)")
        }
    }

    /// Makes a key pair for each worker name that has none in `directory`: the secret certificate in
    /// `local/NAME.key_secret`, its public half in `workers/NAME.key` (what a coordinator's keys folder admits).
    public static func makeWorkerPairs(_ directory: String, workers: [String]) throws {
        do {
            try FileManager.default.createDirectory(atPath: path(directory, workersFolder), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path(directory, "local"), withIntermediateDirectories: true)
            chmod(path(directory, "local"), 0o700)
            for name in workers where !FileManager.default.fileExists(atPath: path(directory, "local/\(name).key_secret")) {
                let pair = try CurveKeyPair.generate()
                try CurveCertificate.write(pair, base: path(directory, "local/\(name)"), name: name, overwrite: true)
                let target = path(directory, "\(workersFolder)/\(name).key")
                // An old key that cannot be removed makes the move below throw, which is reported.
                try? FileManager.default.removeItem(atPath: target)
                try FileManager.default.moveItem(atPath: path(directory, "local/\(name).key"), toPath: target)
            }
        } catch let error as WireError {
            throw ClusterError(.run, "cannot make worker keys in '\(directory)': \(error.message)")
        } catch {
            throw ClusterError(.run, "cannot make worker keys in '\(directory)': \(error.localizedDescription)")
        }
    }

    static func certificate(_ file: String, secret: Bool) throws -> CurveKeyPair {
        do {
            return try CurveCertificate.read(file, requireSecret: secret)
        } catch let error as WireError {
            throw ClusterError(.invalidConfiguration, error.message)
        }
    }

    static func path(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }
}
