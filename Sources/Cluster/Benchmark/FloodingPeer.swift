import ANASOD
import Foundation
import Wire

/// A hostile worker for measurements: it says hello (one slot) and then sends heartbeats whose `running` list
/// holds `pairs` job keys, as fast as the network takes them, until the coordinator shuts it down or
/// `seconds` pass (issue 25's flood: 65,536 pairs, about 190 KB a message). The coordinator must stay
/// responsive to everyone else meanwhile: `anasod bench cluster --flooding-peer` measures that.
public struct FloodingPeer: Sendable {
    public var endpoint: String
    public var identity: String
    public var security: ClientSecurity
    public var pairs: Int
    public var seconds: Double

    public init(endpoint: String, identity: String, security: ClientSecurity, pairs: Int, seconds: Double) {
        self.endpoint = endpoint
        self.identity = identity
        self.security = security
        self.pairs = pairs
        self.seconds = seconds
    }

    /// Floods; returns the messages sent and the bytes they held.
    public func run() throws -> (messages: Int, bytes: Int) {
        let end = Date().addingTimeInterval(seconds)
        let hello = WireMessage.hello(Hello(workerID: identity, host: "flood", slots: 1, evaluators: [Capability(kind: .synthetic)],
                                            software: "anasod flood")).encoded()
        // Hello until welcomed, at most 30 s: its key may be admitted a moment after it starts, and a refused
        // CURVE handshake is not retried by libzmq, so each try is a new connection.
        let giveUp = min(end, Date().addingTimeInterval(30))
        var connected: BlockingDealer?
        while connected == nil && Date() < giveUp {
            let dealer = try BlockingDealer(connect: endpoint, identity: identity, security: security)
            dealer.send(hello)
            let until = Date().addingTimeInterval(1)
            while connected == nil, Date() < until {
                if case .welcome? = dealer.receive(timeout: 0.1) { connected = dealer }
            }
            if connected == nil { dealer.close() }
        }
        guard let dealer = connected else { throw WireError(.transport, "flooding peer \(identity) was never welcomed by \(endpoint)") }
        defer { dealer.close() }
        let frame = WireMessage.heartbeat(Heartbeat(sent: 0, running: (0..<pairs).map { JobKey(jobID: UInt64($0 + 1), attempt: 1) }))
            .encoded()
        var messages = 0
        while Date() < end {
            if dealer.send(frame) { messages += 1 }
            if messages % 64 == 0 {
                while let message = dealer.receive(timeout: 0) {
                    if case .shutdown = message { return (messages, messages * frame.count) }
                }
            }
        }
        return (messages, messages * frame.count)
    }
}
