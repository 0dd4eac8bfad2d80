import ANASOD
@testable import Cluster
import Foundation
import Search
import Testing

@Suite struct StudyConfigurationTests {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test(arguments: ["nb201-cifar10.yaml", "nb201-cifar100.yaml"])
    func shippedConfigsLoad(name: String) throws {
        let c = try StudyConfiguration(file: repository.appendingPathComponent("configs/\(name)").path)
        #expect(c.strategy == .init(.anasodBO2S))
        #expect(c.space == .nb201)
        #expect(c.evaluator.kind == .table)
        #expect(c.budget == 150)
    }

    @Test func theParetoConfigHasTwoObjectivesAndALimit() throws {
        let c = try StudyConfiguration(file: repository.appendingPathComponent("configs/nb201-pareto.yaml").path)
        #expect(c.objectives == ["params"])
        #expect(c.constraints == [Constraint(measure: "params", relation: .atMost, bound: 1e6)])
        #expect(try c.makeStrategy(space: c.space.space) is ANASODBO)  // EHVI, not ParEGO around it
    }

    @Test func theGPUConfigDescribesAnExternalTrainer() throws {
        let c = try StudyConfiguration(file: repository.appendingPathComponent("configs/fmnist-nb201-gpu.yaml").path)
        #expect(c.evaluator.kind == .external)
        #expect(c.trainerCommand == "python3 scripts/train_cell.py")  // stays local: jobs never carry one
        #expect(c.evaluator.training.channels == 16 && c.evaluator.training.cells == 5 && c.evaluator.training.epochs == 10)
        #expect(c.evaluator.amp == true)
        #expect(c.evaluator.killGrace == 10)
        #expect(c.evaluator.datasetName == "fashion-mnist")
    }

    /// The shipped one-shot searches load; their errors name the key.
    @Test func dnasConfigurationsLoadAndNameBadKeys() throws {
        for name in ["dnas-anasod-fmnist.yaml", "dnas-darts-fmnist.yaml"] {
            let c = try DNASConfiguration(file: repository.appendingPathComponent("configs/\(name)").path)
            #expect(c.settings.epochs == 10 && c.settings.trainingImages == 4000)
        }
        for (yaml, words) in [("study: s\nmethod: enas\n", "'method' must be one of anasod, darts, darts-sampled"),
                              ("study: s\nepochs: 0\n", "'epochs' must be an integer in 1…100000"),
                              ("study: s\nlr: 1\n", "unknown key 'lr'"), ("method: darts\n", "'study' is required"),
                              ("study: s\ntrain_limit: 100\n", "leaves less than two batches"),
                              ("study: s\ndataset: cifar10\n", "'dataset' must be fashion-mnist")] {
            #expect { try DNASConfiguration(yaml: yaml, source: "d.yaml") } throws: { "\($0)".contains(words) && "\($0)".contains("d.yaml") }
        }
    }

    /// `strategy: list` evaluates the cells named, in order; the combinations that cannot work are named.
    @Test func aListStudyProposesItsCellsInOrder() throws {
        let cells = ["|nor_conv_3x3~0|+|none~0|none~1|+|none~0|none~1|none~2|", "|skip_connect~0|+|none~0|none~1|+|none~0|none~1|none~2|"]
        let c = try StudyConfiguration(yaml: "study: s\nstrategy: list\narchitectures:\n" + cells.map { "  - '\($0)'\n" }.joined(),
                                       source: "t.yaml")
        var strategy = try c.makeStrategy(space: NB201SearchSpace())
        #expect(strategy.propose(count: 5, pending: []).map { NB201SearchSpace().format($0.architecture) } == cells)
        #expect(strategy.propose(count: 1, pending: []).isEmpty)
        #expect(c.searchDefinition["architectures"] == cells.joined(separator: " "))
        for (yaml, words) in [("study: s\nstrategy: list\n", "needs 'architectures'"),
                              ("study: s\narchitectures:\n  - '\(cells[0])'\n", "read only by 'strategy: list'"),
                              ("study: s\nstrategy: list\narchitectures:\n  - '|bad~0|'\n", "'architectures[0]' is not a nb201 cell")] {
            let bad = try StudyConfiguration(yaml: yaml, source: "t.yaml")
            #expect { try bad.makeStrategy(space: NB201SearchSpace()) } throws: { "\($0)".contains(words) }
        }
    }

    @Test func earlyStoppingReadsANameOrAMappingAndTakesMaxEpochsFromTheEvaluator() throws {
        let named = try StudyConfiguration(yaml: "study: s\nevaluator:\n  kind: trainer\n  epochs: 9\njobs:\n  early_stopping: asha\n",
                                           source: "t.yaml")
        #expect(named.earlyStoppingSettings == EarlyStopping(rule: .asha, minEpochs: 1, reductionFactor: 3, maxEpochs: 9))
        #expect(named.searchDefinition["jobs.early_stopping"] == "asha min=1 eta=3 max=9")
        let mapped = try StudyConfiguration(yaml: """
            study: s
            evaluator: {kind: trainer, epochs: 9}
            jobs:
              early_stopping: {rule: asha, min_epochs: 2, reduction_factor: 2, max_epochs: 200}
            """, source: "t.yaml")
        #expect(mapped.earlyStoppingSettings?.rungs == [2, 4, 8, 16, 32, 64, 128])
        // The stored form reads back (the report's replay of a study), and `off` is no key at all.
        let stored = try StudyConfiguration(storedSearch: mapped.searchDefinition, study: "s")
        #expect(stored.earlyStoppingSettings == mapped.earlyStoppingSettings)
        let off = try StudyConfiguration(yaml: "study: s\njobs:\n  early_stopping: off\n", source: "t.yaml")
        #expect(off.earlyStoppingSettings == nil && off.searchDefinition["jobs.early_stopping"] == nil)
    }

    @Test func constraintsAreReadStoredAndReadBack() throws {
        let c = try StudyConfiguration(yaml: "study: s\nobjective:\n  constraints:\n    params: '<= 0.5e6'\n    flops: '< 1.25e7'\n",
                                       source: "t.yaml")
        #expect(Set(c.constraints) == [Constraint(measure: "params", relation: .atMost, bound: 5e5),
                                       Constraint(measure: "flops", relation: .below, bound: 1.25e7)])
        let stored = try StudyConfiguration(storedSearch: c.searchDefinition, study: "s")
        #expect(Set(stored.constraints) == Set(c.constraints))
        let several = try StudyConfiguration(yaml: "study: s\nobjective: {minimize: [val_error, flops, params]}\n", source: "t.yaml")
        #expect(several.objectives == ["flops", "params"])
        #expect(several.searchDefinition["objective.minimize"] == "val_error,flops,params")
        #expect(try StudyConfiguration(storedSearch: several.searchDefinition, study: "s").objectives == ["flops", "params"])
        let none = try StudyConfiguration(yaml: "study: s\n", source: "t.yaml")
        #expect(none.constraints.isEmpty && none.searchDefinition["objective.constraints"] == nil)
    }

    @Test func defaultsFillWhatIsLeftOut() throws {
        let c = try StudyConfiguration(yaml: "study: s\n", source: "t.yaml")
        #expect(c.journal == "runs/s.sqlite")
        #expect(c.maxAttempts == 3)
        #expect(c.listen == "tcp://127.0.0.1:5555")
    }

    @Test(arguments: [
        ("study: s\nbugdet: 10\n", "unknown key 'bugdet'"),
        ("study: s\narchitectures: x\n", "'architectures' must be a list"),
        // Combinations that cannot work (issue 18): named before anything starts.
        ("study: s\nspace: darts\nevaluator:\n  kind: external\n  command: x\n  drop_path: 1\n", "'evaluator.drop_path' must be in [0, 1)"),
        ("study: s\nevaluator:\n  kind: trainer\n  drop_path: 0.2\n", "'evaluator.drop_path' applies to DARTS networks only"),
        ("study: s\nevaluator:\n  kind: trainer\n  auxiliary_weight: 0.4\n", "'evaluator.auxiliary_weight' applies to DARTS networks only"),
        ("study: s\nspace: darts\nevaluator:\n  kind: trainer\n  cutout: -1\n", "'evaluator.cutout' must be an integer ≥ 0, got '-1'"),
        ("study: s\nspace: darts\n", "'evaluator.kind: table' cannot build 'darts' cells"),
        ("study: s\nevaluator:\n  kind: trainer\n  dataset: cifar10\n", "'evaluator.dataset: cifar10' is not read by 'evaluator.kind: trainer'"),
        ("study: s\nevaluator:\n  kind: table\n  epochs: 3\n", "'evaluator.epochs' not read by 'evaluator.kind: table'"),
        ("study: s\nevaluator:\n  kind: synthetic\n  dataset: cifar10\n", "'evaluator.dataset: cifar10' is not read by 'evaluator.kind: synthetic'"),
        ("study: s\nevaluator:\n  command: python3 t.py\n", "'evaluator.command' is read only by 'evaluator.kind: external'"),
        ("study: s\nevaluator:\n  kind: trainer\n  batch_size: 1\n", "'evaluator.batch_size' must be in 2…65536"),
        ("study: s\nevaluator:\n  kind: gpu\n", "'evaluator.kind' must be one of table, synthetic, trainer, external"),
        ("study: s\nspace: nb301\n", "unknown 'space' 'nb301' (known: nb201, darts; or define your own"),
        ("study: s\nstrategy: bananas\n", "'strategy': unknown strategy 'bananas' (known: rs, anasod-rs, biased-rs, ls, ls-cell, re, "
            + "onehot-bo, anasod-bo, anasod-bo-2s; for measurements: encoding-groups; with a study's architectures: list)"),
        ("study: s\nstrategy: re[pool=3]\n", "only anasod-bo and anasod-bo-2s take options, not 're'"),
        ("study: s\nstrategy: anasod-bo[colour=red]\n", "unknown anasod-bo option 'colour'"),
        ("study: s\ncluster:\n  security: tls\n", "'cluster.security' must be 'curve' or 'none', got 'tls'"),
        ("study: s\njobs:\n  tries: 3\n", "unknown key 'jobs.tries'"),
        ("study: s\nbudget: ten\n", "'budget' must be an integer"),
        ("study: s\nbudget: 0\n", "'budget' must be an integer ≥ 1"),
        ("study: s\ncluster:\n  heartbeat: 5\n  worker_timeout: 2\n", "'cluster.worker_timeout'"),
        ("study: s\ncluster:\n  listen: http://x\n", "'cluster.listen'"),
        ("study: s\nevaluator:\n  kind: magic\n", "'evaluator.kind'"),
        ("study: s\nevaluator:\n  fail_rate: 2\n", "'evaluator.fail_rate'"),
        ("study: s\nevaluator:\n  command: ''\n", "'evaluator.command' must be a non-empty string"),
        ("study: s\nevaluator:\n  kind: external\n  kill_grace: -1\n", "'evaluator.kill_grace' must be non-negative"),
        ("study: s\nevaluator:\n  amp: maybe\n", "'evaluator.amp' must be true or false"),
        ("budget: 3\n", "'study' is required"),
        ("study: [a, b]\n", "'study' must be a non-empty string"),
        ("- a\n- b\n", "mapping"),
        ("study: s\nstudy: t\n", "t.yaml"),
        ("study: 'bad id'\n", "'study' must be"),
        ("study: s\njobs: 3\n", "'jobs' must be a mapping"),
        // Early stopping (issue 28).
        ("study: s\njobs:\n  early_stopping: hyperband\n", "'jobs.early_stopping' must be one of off, asha, model, got 'hyperband'"),
        ("study: s\njobs:\n  early_stopping: {rule: asha, eta: 3}\n", "unknown key 'jobs.early_stopping.eta'"),
        ("study: s\njobs:\n  early_stopping: {reduction_factor: 1}\n", "'jobs.early_stopping.reduction_factor' must be an integer ≥ 2"),
        ("study: s\njobs:\n  early_stopping: {min_epochs: 0}\n", "'jobs.early_stopping.min_epochs' must be an integer ≥ 1"),
        ("study: s\njobs:\n  early_stopping: [asha]\n", "'jobs.early_stopping' must be a rule's name or a mapping"),
        ("study: s\nevaluator:\n  kind: trainer\njobs:\n  early_stopping: asha\n",
         "'jobs.early_stopping.max_epochs' is needed: the evaluator sets no 'epochs'"),
        ("study: s\nevaluator:\n  kind: trainer\n  epochs: 3\njobs:\n  early_stopping: {min_epochs: 3}\n",
         "'jobs.early_stopping.min_epochs' (3) must be below 'max_epochs' (3)"),
        // Constraints (issue 30).
        ("study: s\nobjective:\n  constraints:\n    energy_j: '<= 15'\n",
         "'objective.constraints.energy_j': no measure 'energy_j': this study (space 'nb201', evaluator"),
        ("study: s\nevaluator: {kind: table}\nobjective:\n  constraints:\n    latency_ms: '<= 15'\n",
         "'objective.constraints.latency_ms': evaluator kind 'table' measures nothing beside the error"),
        ("study: s\nevaluator: {kind: trainer, epochs: 1}\nobjective:\n  constraints:\n    memory_mb: '<= 15'\n",
         "'objective.constraints.memory_mb': evaluator kind 'trainer' reports latency_ms, not memory_mb"),
        ("study: s\nobjective:\n  constraints:\n    params: 5e5\n", "'objective.constraints.params': constraint params: '5e5' is not a limit"),
        ("study: s\nobjective:\n  constraints:\n    params: '<= lots'\n", "'objective.constraints.params': constraint params: 'lots'"),
        ("study: s\nobjective:\n  constraints:\n    params: ['<= 3']\n", "'objective.constraints.params' must be a limit"),
        ("study: s\nobjective:\n  constraints: '<= 3'\n", "'objective.constraints' must be a mapping of a measure to its limit"),
        ("study: s\nobjective:\n  minimise: [val_error]\n", "unknown key 'objective.minimise' (allowed: constraints, minimize)"),
        ("study: s\nobjective: params\n", "'objective' must be a mapping"),
        ("study: s\nobjective: {minimize: [params, val_error]}\n", "'objective.minimize' starts with val_error"),
        ("study: s\nobjective: {minimize: [val_error, latency]}\n",
         "'objective.minimize': no measure 'latency': this study (space 'nb201'"),
        ("study: s\nevaluator: {kind: synthetic}\nobjective: {minimize: [val_error, latency_ms]}\n",
         "'objective.minimize': evaluator kind 'synthetic' measures nothing beside the error"),
        ("study: s\nobjective: {minimize: [val_error, params, params]}\n", "'objective.minimize' names an objective twice"),
        ("study: s\nobjective: {minimize: val_error}\n", "'objective.minimize' must be a list"),
    ])
    func badConfigsNameTheKey(yaml: String, expected: String) {
        do {
            _ = try StudyConfiguration(yaml: yaml, source: "t.yaml")
            Issue.record("accepted: \(yaml)")
        } catch let e as ClusterError {
            #expect(e.code == .invalidConfiguration)
            #expect(e.message.contains(expected), "\(e.message)")
            #expect(e.message.hasPrefix("t.yaml: "))
        } catch {
            Issue.record("\(error)")
        }
    }

    /// Names are typed, and written back as they were read: the journal's definition, and so a resume's
    /// comparison, see the same text.
    @Test func namesAreTypedAndWrittenAsRead() throws {
        let c = try StudyConfiguration(yaml: "study: s\nspace: darts\nstrategy: anasod-bo[pool=2000,pending=lp]\nevaluator:\n  kind: synthetic\n"
                                       + "cluster:\n  security: none\n", source: "t.yaml")
        #expect(c.space == .darts && c.security == .none && c.strategy.name == .anasodBO)
        #expect(c.searchDefinition["space"] == "darts")
        #expect(c.searchDefinition["strategy"] == "anasod-bo[pool=2000,pending=lp]")
        #expect("\(c.security) \(c.space) \(c.strategy)" == "none darts anasod-bo[pool=2000,pending=lp]")
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: ClusterError.self) { try StudyConfiguration(file: "/no/such.yaml") }
    }
}
