/// The wire protocol's version and message type codes. Codes are explicit and never reused: a retired
/// message keeps its number reserved (see cluster/PROTOCOL.md).
public enum WireProtocol {
    /// The protocol version every envelope carries; a peer with another version is refused (a version-1
    /// peer with a refusal it can read). Version 2 added `ack` and made a job's `deadline` a relative `timeout`.
    public static let version: UInt64 = 2
}

public enum MessageType: UInt8, Sendable, CaseIterable {
    case hello = 1
    case welcome = 2
    case refusal = 3
    case request = 4
    case job = 5
    case heartbeat = 6
    case progress = 7
    case result = 8
    case failure = 9
    case cancel = 10
    case drain = 11
    case shutdown = 12
    case ack = 13
}
