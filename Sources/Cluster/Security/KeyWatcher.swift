import Foundation
import Logging
import Wire

/// Keeps a coordinator's allow-list in step with `DIR/workers/*.key`: re-read when the folder changes
/// (checked every `interval` seconds) or at once on SIGHUP, so that a worker can be added to, or revoked
/// from, a running study. A certificate that cannot be read is logged and left out; the others stay.
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
        let (keys, problems) = KeyFolder.workerKeys(directory)
        for problem in problems { logger.error("worker keys: \(problem) (left out)") }
        let before = allowed.snapshot
        allowed.replace(keys)
        let added = keys.filter { before[$0.key] == nil }.values.sorted()
        let removed = before.filter { keys[$0.key] == nil }.values.sorted()
        if !added.isEmpty { logger.notice("worker keys added: \(added.joined(separator: ", "))") }
        if !removed.isEmpty { logger.notice("worker keys revoked: \(removed.joined(separator: ", ")) (their messages are refused from now on)") }
        if added.isEmpty && removed.isEmpty && force { logger.info("worker keys re-read: \(keys.count) admitted, no change") }
    }
}
