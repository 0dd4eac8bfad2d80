import Foundation

/// CurveZMQ certificates on disk, in the ZPL text format of CZMQ's `zcert` (also read by pyzmq's
/// `zmq.auth.load_certificate`): `NAME.key` holds the public key and may be shared; `NAME.key_secret`
/// holds both keys and is created with mode 0600.
///
///     #   ZeroMQ CURVE Public Certificate
///     metadata
///         name = "worker-1"
///     curve
///         public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
public enum CurveCertificate {
    /// The largest certificate file read (a real one is under 1 KiB).
    static let maxFileSize = 64 * 1024

    /// Writes `BASE.key` and `BASE.key_secret`; refuses to replace existing files unless `overwrite`.
    /// - Throws: `WireError(.security)` naming the file that exists or cannot be written.
    public static func write(_ pair: CurveKeyPair, base: String, name: String, overwrite: Bool = false) throws {
        guard let secret = pair.secretKey else { throw WireError(.security, "writing a secret certificate needs a secret key") }
        let stamp = ISO8601DateFormatter().string(from: Date())
        let metadata = "metadata\n    name = \"\(quoted(name))\"\n    created = \"\(stamp)\"\n    generator = \"anasod\"\n"
        let publicText = """
            #   ****  Generated on \(stamp) by anasod  ****
            #   ZeroMQ CURVE Public Certificate
            #   Exchange securely, or use a secure mechanism to verify the contents
            #   of this file after exchange.

            \(metadata)curve
                public-key = "\(pair.publicKey)"

            """
        let secretText = """
            #   ****  Generated on \(stamp) by anasod  ****
            #   ZeroMQ CURVE **Secret** Certificate
            #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

            \(metadata)curve
                public-key = "\(pair.publicKey)"
                secret-key = "\(secret)"

            """
        for path in [base + ".key", base + ".key_secret"] where !overwrite && FileManager.default.fileExists(atPath: path) {
            throw WireError(.security, "'\(path)' already exists; remove it first to make a new key (a new key locks "
                            + "out every peer that trusted the old one)")
        }
        try writeFile(base + ".key_secret", secretText, mode: 0o600)
        try writeFile(base + ".key", publicText, mode: 0o644)
    }

    /// Writes the public half of `pair` alone to `path` (replacing what is there): a peer's certificate
    /// copied into another's folder.
    public static func writePublic(_ pair: CurveKeyPair, path: String, name: String) throws {
        let stamp = ISO8601DateFormatter().string(from: Date())
        let text = """
            #   ****  Generated on \(stamp) by anasod  ****
            #   ZeroMQ CURVE Public Certificate

            metadata
                name = "\(quoted(name))"
                created = "\(stamp)"
                generator = "anasod"
            curve
                public-key = "\(pair.publicKey)"

            """
        try? FileManager.default.removeItem(atPath: path)  // one that cannot be removed fails the write, which throws
        try writeFile(path, text, mode: 0o644)
    }

    /// Reads a certificate: a public one (`NAME.key`) or a secret one (`NAME.key_secret`), whose public key
    /// must belong to its secret key.
    /// - Parameter requireSecret: the file must hold a secret key, and must not be readable by group or others.
    /// - Throws: `WireError(.security)` naming the file and what is wrong with it.
    public static func read(_ path: String, requireSecret: Bool = false) throws -> CurveKeyPair {
        func fail(_ why: String) -> WireError { WireError(.security, "certificate '\(path)': \(why)") }
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw fail("cannot be read (\((error as NSError).localizedDescription))")
        }
        if let size = attributes[.size] as? Int, size > maxFileSize { throw fail("is \(size) bytes; a certificate is under 1 KiB") }
        if requireSecret, let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw fail(String(format: "holds a secret key but is readable by others (mode %o): chmod 600 '%@'", mode, path))
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw fail("is not UTF-8 text")
        }
        let fields = try parse(text, fail: fail)
        guard let publicKey = fields["public-key"] else { throw fail("has no curve public-key") }
        if let secret = fields["secret-key"] {
            do {
                return try CurveKeyPair(secretKey: secret, publicKey: publicKey)
            } catch let error as WireError {
                throw fail(error.message)
            }
        }
        if requireSecret { throw fail("has no secret-key (it is a public certificate; the secret one ends in .key_secret)") }
        do {
            return try CurveKeyPair(publicKey: publicKey)
        } catch let error as WireError {
            throw fail(error.message)
        }
    }

    /// The `curve` section's `key = "value"` lines (ZPL: sections by indentation, `#` comments).
    private static func parse(_ text: String, fail: (String) -> WireError) throws -> [String: String] {
        var section = ""
        var fields = [String: String]()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indented = line.first == " " || line.first == "\t"
            guard let equals = trimmed.firstIndex(of: "=") else {
                if !indented { section = trimmed }
                continue
            }
            guard indented else { throw fail("line \(number + 1): a key = value line outside a section") }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let q = value.first, q == "\"" || q == "'", value.last == q {
                value = String(value.dropFirst().dropLast())
            }
            if section == "curve", key == "public-key" || key == "secret-key" {
                guard fields[key] == nil else { throw fail("line \(number + 1): a second \(key)") }
                fields[key] = value
            }
        }
        return fields
    }

    private static func quoted(_ s: String) -> String {
        String(s.filter { $0 != "\"" && $0 != "\n" && $0 != "\r" })
    }

    /// Writes through a temporary file created with `mode` and renamed into place, so that a secret is never
    /// readable by others, not even for a moment. The temporary file is new (`O_EXCL`) and never reached
    /// through a symbolic link (`O_NOFOLLOW`); the rename replaces a link at `path` instead of following it.
    private static func writeFile(_ path: String, _ text: String, mode: mode_t) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WireError(.security, "cannot create '\(temporary)': \(String(cString: strerror(errno)))") }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, bytes.count) }
        _ = fchmod(fd, mode)  // the umask may have narrowed it; never widened beyond `mode`
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw WireError(.security, "cannot write '\(path)': \(reason)")
        }
    }
}
