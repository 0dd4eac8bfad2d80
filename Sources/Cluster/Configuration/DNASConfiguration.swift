import Foundation
import Trainer
import Yams

/// A one-shot search (`anasod dnas --config FILE`): YAML like a study's, validated with errors that name
/// the key. Keys: `study` (required), `method` (`anasod`, `darts`, `darts-sampled`), `dataset`
/// (`fashion-mnist`), `channels`, `cells`, `epochs`, `batch_size`, `learning_rate`, `arch_learning_rate`,
/// `train_limit`, `seed`, `samples` (final cells), `decoder` (`rounding`, `sampling`), `journal`.
public struct DNASConfiguration: Sendable {
    public var study: String
    public var settings = DNASSettings()
    public var dataset = "fashion-mnist"
    public var samples = 5
    public var decoder = DNASSearch.Decoder.rounding
    public var journal: String

    static let keys: Set<String> = ["study", "method", "dataset", "channels", "cells", "epochs", "batch_size", "learning_rate",
                                    "arch_learning_rate", "train_limit", "seed", "samples", "decoder", "journal"]

    public init(file path: String) throws {
        try self.init(yaml: try StudyConfiguration.readConfigurationFile(path), source: path)
    }

    public init(yaml: String, source: String) throws {
        func fail(_ message: String) -> ClusterError { ClusterError(.invalidConfiguration, "\(source): \(message)") }
        let root: Node?
        do { root = try Yams.compose(yaml: yaml) } catch { throw fail("not valid YAML: \(error)") }
        guard let mapping = root?.mapping else { throw fail("expected a mapping of keys at the top level") }
        var entries = [String: String]()
        for (k, v) in mapping {
            guard let key = k.string else { throw fail("a key is not a string") }
            guard Self.keys.contains(key) else { throw fail("unknown key '\(key)' (allowed: \(Self.keys.sorted().joined(separator: ", ")))") }
            guard let value = v.scalar?.string, !value.isEmpty else { throw fail("'\(key)' must be a single value") }
            guard entries.updateValue(value, forKey: key) == nil else { throw fail("the key '\(key)' appears twice") }
        }
        guard let study = entries["study"] else { throw fail("the key 'study' is required") }
        guard study.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), study.utf8.count <= 128 else {
            throw fail("'study' must be letters, digits, '-', '_' or '.', got '\(study)'")
        }
        self.study = study
        journal = entries["journal"] ?? "runs/\(study).dnas.sqlite"
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = entries[key] else { return nil }
            guard let v = Int(text), range.contains(v) else {
                throw fail("'\(key)' must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
            }
            return v
        }
        func number(_ key: String) throws -> Double? {
            guard let text = entries[key] else { return nil }
            guard let v = Double(text), v.isFinite, v > 0 else { throw fail("'\(key)' must be a positive number, got '\(text)'") }
            return v
        }
        if let m = entries["method"] {
            guard let method = DNASSettings.Method(rawValue: m) else {
                throw fail("'method' must be one of \(DNASSettings.Method.allCases.map(\.rawValue).joined(separator: ", ")), got '\(m)'")
            }
            settings.method = method
        }
        settings.architectureLearningRate = DNASSettings.defaultArchitectureLearningRate(settings.method)
        if let d = entries["dataset"] {
            guard d == "fashion-mnist" else { throw fail("'dataset' must be fashion-mnist (the data the Swift trainer reads), got '\(d)'") }
            dataset = d
        }
        if let d = entries["decoder"] {
            guard let decoder = DNASSearch.Decoder(rawValue: d) else { throw fail("'decoder' must be rounding or sampling, got '\(d)'") }
            self.decoder = decoder
        }
        if let v = try int("channels", 1...512) { settings.channels = v }
        if let v = try int("cells", 1...32) { settings.cellsPerStage = v }
        if let v = try int("epochs", 1...100_000) { settings.epochs = v }
        if let v = try int("batch_size", 2...65_536) { settings.batchSize = v }
        if let v = try int("train_limit", 8...60_000) { settings.trainingImages = v }
        if let v = try int("seed", 0...Int.max) { settings.seed = UInt64(v) }
        if let v = try int("samples", 1...1000) { samples = v }
        if let v = try number("learning_rate") { settings.learningRate = Float(v) }
        if let v = try number("arch_learning_rate") { settings.architectureLearningRate = v }
        do {
            try settings.validate()
        } catch let error as TrainerError {
            throw fail(error.message)
        }
    }

    /// What a resume must keep: the settings as JSON (sorted keys), with the data set.
    public var definition: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Numbers, strings and enums only: encoding cannot fail.
        let settingsJSON = (try? encoder.encode(settings)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "{\"dataset\":\"\(dataset)\",\"settings\":\(settingsJSON)}"
    }
}
