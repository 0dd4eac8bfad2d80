import ANASOD
import ArgumentParser
import Cluster

/// `--space NAME`: one of `SpaceName`'s (the one list of built-in spaces).
extension SpaceName: ExpressibleByArgument {}

/// `--security curve|none`.
extension SecurityMode: ExpressibleByArgument {}
