import Foundation

/// A worker's named external-trainer profiles, as `anasod worker --trainer NAME=COMMAND` gives them (a study
/// picks one with `evaluator.trainer: NAME`; `--trainer-command` is the `default` profile).
public enum TrainerProfiles {
    /// The profiles by name.
    /// - Parameters:
    ///   - entries: `NAME=COMMAND` values; a name is letters, digits, `-`, `_` or `.`; the command is not empty.
    ///   - defaultCommand: the `default` profile given on its own (`--trainer-command`), which `entries` may not
    ///     name again.
    /// - Throws: `ClusterError(.invalidConfiguration)` naming the entry that is wrong.
    public static func parse(_ entries: [String], defaultCommand: String? = nil) throws -> [String: String] {
        var profiles = [String: String]()
        for entry in entries {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex,
                entry.index(after: equals) != entry.endIndex
            else {
                throw ClusterError(.invalidConfiguration, "--trainer wants NAME=COMMAND, got '\(entry)'")
            }
            let name = String(entry[..<equals])
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw ClusterError(
                    .invalidConfiguration, "--trainer profile name '\(name)' must be letters, digits, '-', '_' or '.'")
            }
            guard profiles.updateValue(String(entry[entry.index(after: equals)...]), forKey: name) == nil else {
                throw ClusterError(.invalidConfiguration, "--trainer names the profile '\(name)' twice")
            }
        }
        if defaultCommand != nil, profiles["default"] != nil {
            throw ClusterError(
                .invalidConfiguration, "--trainer-command is the 'default' profile: drop --trainer default=…")
        }
        return profiles
    }

    /// The names in a comma-separated list (`--trainer-spaces`, `--trainer-datasets`), trimmed, empty ones dropped.
    public static func names(_ list: String?) -> [String] {
        (list ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
