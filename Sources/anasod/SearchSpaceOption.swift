import ANASOD
import ArgumentParser

/// The built-in search spaces, by name on the command line.
enum SearchSpaceName: String, ExpressibleByArgument, CaseIterable {
    case nb201, darts

    var space: any SearchSpace {
        switch self {
        case .nb201: NB201SearchSpace()
        case .darts: DARTSSearchSpace()
        }
    }
}
