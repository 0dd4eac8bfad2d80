@testable import Cluster
import Foundation
import Journal
import Logging
import Testing
import Wire

/// A resume must run the same search: another strategy, seed or evaluator is refused with the keys that
/// differ, unless the user allows it (then the journal records the change); a larger budget is allowed.
@Suite struct ResumeConfigurationTests {
    func configuration() -> StudyConfiguration {
        var c = StudyConfiguration(study: "same")
        c.evaluator.kind = .synthetic
        c.budget = 10
        return c
    }

    func open(_ c: StudyConfiguration, _ journal: InMemoryJournal, resume: Bool, allow: Bool = false) throws {
        _ = try Coordinator(configuration: c, journal: journal, transport: InMemoryServer(), resume: resume,
                            allowConfigurationChange: allow, logger: Logger(label: "test"))
    }

    @Test func aChangedSearchIsRefusedWithTheKeysThatDiffer() throws {
        let journal = InMemoryJournal()
        try open(configuration(), journal, resume: false)
        #expect(throws: Never.self) { try open(configuration(), journal, resume: true) }
        var changed = configuration()
        changed.strategy = .init(.rs)
        changed.seed = 7
        changed.evaluator.seconds = 3
        changed.listen = "tcp://127.0.0.1:6000"  // operational: may change
        let error = #expect(throws: ClusterError.self) { try open(changed, journal, resume: true) }
        #expect(error?.code == .resume)
        for words in ["strategy: anasod-bo-2s → rs", "seed: 0 → 7", "evaluator.seconds: 0.0 → 3.0", "--allow-config-change"] {
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        }
        #expect(error?.message.contains("listen") == false)
        // A larger budget extends the study; a smaller one is a change.
        var longer = configuration()
        longer.budget = 20
        #expect(throws: Never.self) { try open(longer, journal, resume: true) }
        var shorter = configuration()
        shorter.budget = 5
        #expect(throws: ClusterError.self) { try open(shorter, journal, resume: true) }
    }

    @Test func anAllowedChangeIsJournaled() throws {
        let journal = InMemoryJournal()
        try open(configuration(), journal, resume: false)
        var changed = configuration()
        changed.strategy = .init(.rs)
        try open(changed, journal, resume: true, allow: true)
        let stored = try #require(try journal.study()).configuration
        #expect(stored.contains("strategy: anasod-bo-2s → rs"))
        // The new definition is now the journal's: resuming with it again is no change.
        #expect(throws: Never.self) { try open(changed, journal, resume: true) }
        #expect(throws: ClusterError.self) { try open(configuration(), journal, resume: true) }
    }

    /// A stored configuration this build cannot read is no reason to skip the check: the resume is refused
    /// with the reason, unless a change is allowed; then the new configuration replaces it, and the
    /// journal records why.
    @Test func anUnreadableStoredConfigurationIsRefusedUnlessAChangeIsAllowed() throws {
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "same", configuration: "study: same\nspace: nb301\n", created: 0))
        let error = #expect(throws: ClusterError.self) { try open(configuration(), journal, resume: true) }
        #expect(error?.code == .resume)
        for words in ["cannot be read", "unknown 'space' 'nb301'", "--allow-config-change"] {
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        }
        try open(configuration(), journal, resume: true, allow: true)
        let stored = try #require(try journal.study()).configuration
        #expect(stored.contains("stored configuration unreadable"))
        #expect(throws: Never.self) { try open(configuration(), journal, resume: true) }  // now the journal's own
    }

    /// Journals written before the effective definition was stored hold the YAML alone: it still serves.
    @Test func anOlderJournalIsComparedThroughItsYAML() throws {
        let yaml = "study: same\nstrategy: rs\nevaluator:\n  kind: synthetic\nbudget: 10\n"
        let journal = InMemoryJournal()
        try journal.begin(StudyRecord(id: "same", configuration: yaml, created: 0))
        var c = try StudyConfiguration(yaml: yaml, source: "t")
        #expect(throws: Never.self) { try open(c, journal, resume: true) }
        c.strategy = .init(.anasodBO)
        #expect(throws: ClusterError.self) { try open(c, journal, resume: true) }
    }
}
