import Foundation

/// What the coordinator's socket thread has read but not yet decoded, per peer. The socket is drained in
/// bounded reads (`readsPerTurn` messages, `readBytesPerTurn` bytes); each turn then decodes at most
/// `messagesPerTurn` messages and `bytesPerTurn` bytes, shared round-robin among the peers with something
/// waiting (each gets an equal quantum, at least `minimumQuantum` messages; a peer alone gets the whole
/// turn). A peer that floods fills only its own backlog, which is bounded (`maxBacklog` messages,
/// `maxBacklogBytes` bytes): what does not fit is dropped undecoded and counted. Honest peers' messages,
/// queued behind nothing but their own, are decoded in the turn they arrive, and the socket thread sends
/// its outbox between turns.
///
/// Confined to the socket thread (not thread-safe).
final class InboundQueue: @unchecked Sendable {
    struct Limits: Sendable {
        var readsPerTurn = 1024
        var readBytesPerTurn = 8 << 20
        var messagesPerTurn = 1024
        var bytesPerTurn = 4 << 20
        var minimumQuantum = 16
        var maxBacklog = 8192
        var maxBacklogBytes = 16 << 20
        /// All peers' backlogs together (many flooding connections must not add up without bound).
        var maxTotalBytes = 256 << 20
    }

    private struct Backlog {
        var frames = [[UInt8]]()
        var head = 0
        var bytes = 0
        var dropped = 0
        var isEmpty: Bool { head == frames.count }
    }

    let limits: Limits
    private var backlogs = [PeerID: Backlog]()
    private var totalBytes = 0
    /// Peers with something waiting, in the order they will be served.
    private var order = [PeerID]()

    init(limits: Limits = .init()) { self.limits = limits }

    var isEmpty: Bool { order.isEmpty }

    /// Queues one message of `peer`; false when it was dropped (its backlog is full).
    @discardableResult
    func append(_ frame: [UInt8], from peer: PeerID) -> Bool {
        var backlog = backlogs[peer] ?? Backlog()
        let waiting = backlog.frames.count - backlog.head
        guard waiting < limits.maxBacklog, backlog.bytes + frame.count <= limits.maxBacklogBytes,
              totalBytes + frame.count <= limits.maxTotalBytes else {
            backlog.dropped += 1
            if backlogs[peer] == nil { order.append(peer) }
            backlogs[peer] = backlog
            return false
        }
        if backlogs[peer] == nil { order.append(peer) }
        backlog.frames.append(frame)
        backlog.bytes += frame.count
        totalBytes += frame.count
        backlogs[peer] = backlog
        return true
    }

    /// One turn: each waiting peer's share, in order; then how many each peer had dropped since the last turn.
    func turn(_ deliver: (PeerID, [UInt8]) -> Void) -> [(PeerID, Int)] {
        var drops = [(PeerID, Int)]()
        // Peers the turn's budget did not reach go first next turn, then those served (round-robin that
        // moves on: with more waiting peers than one turn serves, none is passed over twice).
        var unreached = [PeerID]()
        var next = [PeerID]()
        var messagesLeft = limits.messagesPerTurn
        var bytesLeft = limits.bytesPerTurn
        let quantum = max(limits.minimumQuantum, limits.messagesPerTurn / max(order.count, 1))
        let byteQuantum = max(64 << 10, limits.bytesPerTurn / max(order.count, 1))
        for peer in order {
            guard var backlog = backlogs[peer] else { continue }
            guard messagesLeft > 0, bytesLeft > 0 else {
                unreached.append(peer)
                if backlog.dropped > 0 {
                    drops.append((peer, backlog.dropped))
                    backlogs[peer]?.dropped = 0
                }
                continue
            }
            var messages = 0
            var bytes = 0
            while !backlog.isEmpty, messagesLeft > 0, bytesLeft > 0, messages < quantum, messages == 0 || bytes < byteQuantum {
                let frame = backlog.frames[backlog.head]
                backlog.frames[backlog.head] = []
                backlog.head += 1
                backlog.bytes -= frame.count
                totalBytes -= frame.count
                messages += 1
                bytes += frame.count
                messagesLeft -= 1
                bytesLeft -= frame.count
                deliver(peer, frame)
            }
            if backlog.dropped > 0 {
                drops.append((peer, backlog.dropped))
                backlog.dropped = 0
            }
            if backlog.isEmpty {
                backlogs.removeValue(forKey: peer)
            } else {
                if backlog.head > 64 && backlog.head * 2 > backlog.frames.count {
                    backlog.frames.removeFirst(backlog.head)
                    backlog.head = 0
                }
                backlogs[peer] = backlog
                next.append(peer)
            }
        }
        order = unreached + next
        return drops
    }
}
