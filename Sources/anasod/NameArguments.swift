import ANASOD
import ArgumentParser
import Cluster

/// `--space NAME`: one of `SpaceName`'s (the one list of built-in spaces).
extension SpaceName: ExpressibleByArgument {}

/// `--space NAME|STUDY.yaml|JSON`: a built-in space, the space a study file defines, or a definition as
/// JSON (`SlotSearchSpace.definitionJSON`).
enum SpaceArgument {
    static let help = "Search space: \(SpaceName.known), a study file whose 'space:' defines your own, or its JSON definition."

    /// - Throws: `ValidationError` saying why the argument names no space.
    static func parse(_ argument: String) throws -> StudySpace {
        if let name = SpaceName(rawValue: argument) { return .builtIn(name) }
        do {
            if argument.hasPrefix("{") { return try StudySpace(stored: argument) }
            return try StudyConfiguration(file: argument).space
        } catch let error as ANASODError {
            throw ValidationError(error.message)
        } catch let error as ClusterError {
            throw ValidationError(error.message)
        }
    }
}

/// `--security curve|none`.
extension SecurityMode: ExpressibleByArgument {}
