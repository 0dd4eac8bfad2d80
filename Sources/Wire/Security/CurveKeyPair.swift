import CZeroMQ
import Foundation

/// A CurveZMQ key pair in Z85 text (40 characters a key, ZeroMQ RFC 32). The secret half is absent for a
/// peer's public certificate.
public struct CurveKeyPair: Sendable, Hashable {
    public let publicKey: String
    public let secretKey: String?

    /// A fresh pair from libsodium's random source (`zmq_curve_keypair`).
    public static func generate() throws -> CurveKeyPair {
        try CurveSupport.require()
        var publicKey = [CChar](repeating: 0, count: 41)
        var secretKey = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicKey, &secretKey) == 0 else {
            throw WireError(.security, "zmq_curve_keypair failed: \(String(cString: zmq_strerror(zmq_errno())))")
        }
        return CurveKeyPair(checkedPublic: Self.text(publicKey), secret: Self.text(secretKey))
    }

    /// The pair of a secret key; the public half is derived from it (`zmq_curve_public`) and, when given,
    /// must match `publicKey`.
    public init(secretKey: String, publicKey expected: String? = nil) throws {
        try CurveSupport.require()
        try Self.validate(secretKey, what: "secret key")
        var derived = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&derived, secretKey) == 0 else {
            throw WireError(.security, "cannot derive a public key from the secret key")
        }
        let publicKey = Self.text(derived)
        if let expected, expected != publicKey {
            throw WireError(.security, "the certificate's public key does not belong to its secret key")
        }
        self.init(checkedPublic: publicKey, secret: secretKey)
    }

    /// A peer's public key alone.
    public init(publicKey: String) throws {
        try Self.validate(publicKey, what: "public key")
        self.init(checkedPublic: publicKey, secret: nil)
    }

    private init(checkedPublic: String, secret: String?) {
        publicKey = checkedPublic
        secretKey = secret
    }

    /// The 32 raw bytes of a Z85 key (what ZAP reports as a CURVE client's credential).
    public static func rawBytes(_ z85: String) -> [UInt8]? {
        guard isValid(z85) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        return zmq_z85_decode(&bytes, z85) == nil ? nil : bytes
    }

    /// The Z85 text of 32 raw key bytes.
    public static func z85(_ raw: [UInt8]) -> String? {
        guard raw.count == 32 else { return nil }
        var text = [CChar](repeating: 0, count: 41)
        return zmq_z85_encode(&text, raw, 32) == nil ? nil : Self.text(text)
    }

    /// The text of a NUL-terminated C buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")

    /// 40 characters of the Z85 alphabet.
    public static func isValid(_ z85: String) -> Bool {
        z85.count == 40 && z85.allSatisfy { alphabet.contains($0) }
    }

    private static func validate(_ key: String, what: String) throws {
        guard isValid(key), rawBytes(key) != nil else {
            throw WireError(.security, "a CURVE \(what) must be 40 characters of Z85 text, got \(key.count) character(s)")
        }
    }
}

/// Whether this libzmq was built with CURVE (libsodium).
public enum CurveSupport {
    public static var available: Bool { zmq_has("curve") == 1 }

    public static func require() throws {
        guard available else {
            throw WireError(.security, "this libzmq (\(version)) was built without CURVE encryption (libsodium); install a "
                            + "libzmq with CURVE (Debian's libzmq5 has it), or run only on loopback with cluster.security: none")
        }
    }

    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
