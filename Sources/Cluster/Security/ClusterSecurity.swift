import Foundation
import Logging
import Wire

/// Turns a study's `cluster.security` and keys folder into the coordinator socket's security.
public enum ClusterSecurity {
    /// - Parameter keys: `--keys`, which overrides `cluster.keys`.
    /// - Returns: the socket's security and, with CURVE, the watcher that keeps its allow-list current
    ///   (keep it for as long as the server runs).
    /// - Throws: `ClusterError(.invalidConfiguration)` saying what to do: CURVE without keys, `none` on an
    ///   endpoint other machines can reach, a libzmq without CURVE, an unusable key.
    public static func server(for configuration: StudyConfiguration, keys: String?, logger: Logger) throws
        -> (security: ServerSecurity, watcher: KeyWatcher?) {
        if configuration.security == .none {
            guard LocalEndpoint.isLocal(configuration.listen) else {
                throw ClusterError(.invalidConfiguration, "cluster.security: none is accepted only on loopback or ipc:// "
                                   + "endpoints, not \(configuration.listen): anyone who can reach the port could join, "
                                   + "read every job and send results; give the coordinator keys (cluster/SECURITY.md)")
            }
            logger.notice("cluster.security: none — plain, unauthenticated sockets on \(configuration.listen): any local process can join")
            return (.none, nil)
        }
        guard let directory = keys ?? configuration.keys else {
            throw ClusterError(.invalidConfiguration, "CURVE is on (cluster.security: curve, the default) but the coordinator "
                               + "has no keys: run 'anasod keys generate KEYS/coordinator', put each worker's NAME.key in "
                               + "KEYS/workers/, and pass --keys KEYS (or set cluster.keys); on loopback only, "
                               + "cluster.security: none turns encryption off (cluster/SECURITY.md)")
        }
        do {
            try CurveSupport.require()
        } catch let error as WireError {
            throw ClusterError(.invalidConfiguration, error.message)
        }
        let (pair, workers) = try KeyFolder.coordinator(directory)
        let allowed = CurveAllowList(workers)
        logger.info("CURVE on: coordinator key \(pair.publicKey), \(workers.count) worker key(s) admitted from \(directory)/workers")
        if workers.isEmpty {
            logger.warning("no worker keys in \(directory)/workers yet: a worker gets in once its NAME.key is added (the folder is re-read every second and on SIGHUP)")
        }
        return (.curve(pair, allowed: allowed), KeyWatcher(directory: directory, allowed: allowed, logger: logger))
    }
}
