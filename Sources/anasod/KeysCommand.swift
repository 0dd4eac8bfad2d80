import ArgumentParser
import Cluster
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
        @Option(help: ArgumentHelp("One pair per worker node: PATH/NAME-1 … PATH/NAME-N folders, each with worker.key_secret "
                                   + "(pass it as `anasod worker --keys PATH/NAME-i`). Each node is then its own trust domain.",
                                   valueName: "N")) var count: Int?
        @Option(help: ArgumentHelp("With --count: the coordinator's keys folder. Each node's public key is admitted there "
                                   + "(workers/NAME-i.key) and its coordinator.key copied into each node folder.",
                                   valueName: "DIR")) var admitTo: String?

        func run() throws {
            try CurveSupport.require()
            if let count {
                let folders = try KeyFolder.makeNodeKeys(base: base, count: count, coordinatorDirectory: admitTo)
                print("made \(folders.count) node key folder(s): \(folders.first!) … \(folders.last!) (each: worker.key_secret, mode 0600)")
                if let admitTo {
                    print("admitted them in \(admitTo)/workers/ and copied \(admitTo)/coordinator.key into each; copy each folder to its node")
                } else {
                    print("admit each node by copying PATH/NAME-i/worker.key to the coordinator's keys/workers/NAME-i.key")
                }
                return
            }
            guard admitTo == nil else { throw ValidationError("--admit-to goes with --count") }
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
