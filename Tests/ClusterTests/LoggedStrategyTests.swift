import ANASOD
@testable import Cluster
import Foundation
import Logging
import Search
import Testing

/// The coordinator's strategy logs what the strategy says it did instead (a GP it could not fit).
@Suite struct LoggedStrategyTests {
    /// Keeps every line logged through it.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var kept = [(Logger.Level, String)]()
        var all: [(Logger.Level, String)] { lock.withLock { kept } }
        func add(_ level: Logger.Level, _ line: String) { lock.withLock { kept.append((level, line)) } }
    }

    struct Capture: LogHandler {
        let lines: Lines
        var metadata = Logger.Metadata()
        var logLevel = Logger.Level.trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { lines.add(event.level, event.message.description) }
    }

    @Test func aFallbackIsLoggedAsAWarning() {
        let lines = Lines()
        var configuration = OneHotBO.Configuration()
        configuration.initialEvaluations = 2
        configuration.surrogate.warping = .none  // 1.7e308s overflow when standardised: no GP
        var strategy = LoggedStrategy(OneHotBO(space: NB201SearchSpace(), seed: 1, configuration: configuration),
                                      logger: Logger(label: "test") { _ in Capture(lines: lines) })
        for p in strategy.propose(count: 3, pending: []) { strategy.observe(Observation(architecture: p.architecture, value: 1.7e308)) }
        #expect(lines.all.isEmpty)
        #expect(strategy.propose(count: 2, pending: []).count == 2)
        #expect(strategy.name == "onehot-bo")
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.0 == .warning)
        #expect(lines.all.first?.1.contains("strategy: onehot-bo: the GP could not be fitted") == true, "\(lines.all)")
        // A recommendation that falls back to the best seen says so too.
        let recommendation = strategy.recommendation()
        #expect(recommendation != nil)
        #expect(lines.all.count == 2)
        #expect(lines.all.last?.1.contains("strategy: onehot-bo: no GP for the recommendation") == true, "\(lines.all)")
    }
}
