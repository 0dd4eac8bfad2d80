import ANASOD
/// The one public error type of the `Wire` module: a message that cannot be decoded, or a transport fault.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Bytes that are not valid msgpack, or are cut short.
        case malformed
        /// Larger than the limits (message size, nesting, container or string length).
        case oversized
        /// Valid msgpack that is not a message of this protocol (wrong shape, missing or mistyped field).
        case invalidMessage
        /// A message type code this version does not know.
        case unknownType
        /// A peer speaking another protocol version.
        case unsupportedVersion
        /// A socket operation failed.
        case transport
        /// A key or certificate that cannot be used (missing, malformed, readable by others), or a libzmq
        /// without CURVE.
        case security
    }

    public let code: Code
    public let message: String
    /// For `.unsupportedVersion`: the version the peer spoke.
    public var peerVersion: UInt64?
    /// For a job whose evaluation settings this build cannot read: the job, so that the worker reports
    /// that job's failure (class `configuration`) instead of leaving its lease to time out.
    public var jobKey: JobKey?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
