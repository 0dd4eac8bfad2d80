import ANASOD
import Search
import Testing

/// A benchmark whose run fails says so: a run left out would move the means quietly.
@Suite struct SearchBenchmarkTests {
    struct Missing: Error {}

    @Test func aFailedRunFailsTheBenchmark() throws {
        let space = NB201SearchSpace()
        #expect(throws: Missing.self) {
            try SearchBenchmark.runAll(strategies: ["rs"], seeds: 3, firstSeed: 0, parallelism: 2, space: space) { name, seed in
                guard seed != 1 else { throw Missing() }
                return SearchBenchmark.Run(strategy: name, seed: seed, curve: [1], proposeCalls: [])
            }
        }
        let runs = try SearchBenchmark.runAll(strategies: ["rs"], seeds: 3, firstSeed: 0, parallelism: 2, space: space) { name, seed in
            SearchBenchmark.Run(strategy: name, seed: seed, curve: [1], proposeCalls: [])
        }
        #expect(runs.map(\.seed) == [0, 1, 2])
    }
}
