import Foundation
import Logging
import Wire

/// Keeps a coordinator's allow-list in step with `DIR/workers/*.key`: re-read when the folder changes
/// (checked every `interval` seconds) or at once on SIGHUP, so that a worker can be added to, or revoked
/// from, a running study. Only a key file removed from a folder that reads fine revokes its key: a folder
/// that cannot be listed keeps the previous allow-list (with a warning), and a file that cannot be read
/// keeps the key it held.
public final class KeyWatcher: @unchecked Sendable {
    private let directory: String
    private let allowed: CurveAllowList
    private let logger: Logger
    private let queue = DispatchQueue(label: "anasod.keys")
    private var timer: DispatchSourceTimer?
    private var hangup: DispatchSourceSignal?
    private var signature: [String: String]

    public init(directory: String, allowed: CurveAllowList, logger: Logger, interval: Double = 1) {
        self.directory = directory
        self.allowed = allowed
        self.logger = logger
        signature = KeyFolder.signature(directory)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [weak self] in self?.check(force: false) }
        timer.resume()
        self.timer = timer
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
        hangup.setEventHandler { [weak self] in self?.check(force: true) }
        hangup.resume()
        self.hangup = hangup
    }

    /// Re-reads the folder now (what SIGHUP does).
    public func reload() { queue.sync { check(force: true) } }

    public func stop() {
        timer?.cancel()
        hangup?.cancel()
    }

    deinit { stop() }

    private func check(force: Bool) {
        let now = KeyFolder.signature(directory)
        guard force || now != signature else { return }
        signature = now
        let read = KeyFolder.workerKeys(directory)
        let before = allowed.snapshot
        guard read.folderRead else {
            // A glitch is not a revocation: the folder renamed away, unmounted or unreadable for a moment
            // keeps the allow-list as it was; only a key file removed from a folder that reads fine revokes.
            let problem = read.problems.first ?? "the folder cannot be read"
            logger.warning("worker keys: \(problem); keeping the \(before.count) admitted key(s) until it can be read again")
            signature = [:]  // read again as soon as it is back, whatever its files' dates
            return
        }
        for problem in read.problems { logger.error("worker keys: \(problem) (the key it held before, if any, is kept)") }
        var keys = read.keys
        // A file present but unreadable (half-written by an editor or a copy) keeps the key it held.
        for (key, name) in before where read.unreadable.contains(name) && !keys.values.contains(name) { keys[key] = name }
        allowed.replace(keys)
        let added = keys.filter { before[$0.key] == nil }.values.sorted()
        let removed = before.filter { keys[$0.key] == nil }.values.sorted()
        if !added.isEmpty { logger.notice("worker keys added: \(added.joined(separator: ", "))") }
        if !removed.isEmpty { logger.notice("worker keys revoked: \(removed.joined(separator: ", ")) (their messages are refused from now on)") }
        if added.isEmpty && removed.isEmpty && force { logger.info("worker keys re-read: \(keys.count) admitted, no change") }
    }
}
