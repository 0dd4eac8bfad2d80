import ArgumentParser
import Foundation
import Wire

/// `anasod keys`: CurveZMQ certificates for coordinators and workers.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make and inspect CurveZMQ certificates (cluster/SECURITY.md).",
        subcommands: [Generate.self, Show.self])

    /// `anasod keys generate PATH/NAME`.
    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write NAME.key (public, to share) and NAME.key_secret (mode 0600, to keep) in the ZeroMQ certificate format.")
        @Argument(help: "PATH/NAME of the pair: e.g. keys/coordinator, keys/worker.") var base: String
        @Flag(help: "Replace an existing pair (every peer that trusted the old public key is locked out).") var force = false

        func run() throws {
            try CurveSupport.require()
            let name = (base as NSString).lastPathComponent
            guard !name.isEmpty, !name.hasPrefix("."), !name.hasSuffix(".key"), !name.hasSuffix(".key_secret") else {
                throw ValidationError("give PATH/NAME without an extension (keys/worker writes keys/worker.key and keys/worker.key_secret)")
            }
            let directory = (base as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                } catch {
                    throw ValidationError("cannot create '\(directory)': \(error.localizedDescription)")
                }
            }
            let pair = try CurveKeyPair.generate()
            try CurveCertificate.write(pair, base: base, name: name, overwrite: force)
            print("public key \(pair.publicKey)")
            print("wrote \(base).key (public: copy it to the peers that must trust this one)")
            print("wrote \(base).key_secret (secret, mode 0600: it never leaves this machine)")
        }
    }

    /// `anasod keys show FILE`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a certificate's public key (and check a secret one).")
        @Argument(help: "A NAME.key or NAME.key_secret file.") var file: String

        func run() throws {
            let pair = try CurveCertificate.read(file, requireSecret: file.hasSuffix(".key_secret"))
            print(pair.publicKey)
        }
    }
}
