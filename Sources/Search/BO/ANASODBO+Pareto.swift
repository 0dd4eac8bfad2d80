import ANASOD
import BayesOpt
import Foundation

/// ANASOD-BO with several objectives (issue 30): the validation error, modelled by the encoding GP (and the
/// cell-level GP of `anasod-bo-2s`), and measures known before training (parameters, FLOPs, a table's latency),
/// which need no model. The acquisition is the expected hypervolume improvement in closed form
/// (`HypervolumeImprovement`): for a cell with measures m and an error ~ N(μ, σ²), the sum over the boxes of the
/// front's grid of the box's volume beyond m times the expected improvement on the box's level.
///
/// - The error axis is the GP's own (warped, standardised) scale, on which dominance is the same; its reference
///   is the median of the results (cells worse than the median error are no trade-off anyone wants), the
///   measures' the greatest value seen among results and candidates.
/// - The pool of encodings is drawn half around the members of the front (β of the trust region), half
///   uniformly, so that the whole front is searched, not only the lowest error.
/// - Each pool encoding is scored with its own posterior and the measures of its candidate cells (every cell of
///   a small encoding, else random decodes); its best cell decides. The encoding GP then hands the encoding to
///   the within-encoding step: the cell with the highest EHVI under the cell-level GP (`anasod-bo-2s`), or under
///   the encoding's posterior (`anasod-bo`, where the measures alone tell its cells apart).
/// - Batches and pending cells: kriging believer — each pick (and each pending cell) joins the front at its
///   predicted error and the encoding posterior is conditioned on it, so the next pick goes elsewhere on the
///   front. Both only lower the scores, so the greedy picks are evaluated lazily (the same picks, ties aside).
/// - Constraints measured in evaluation multiply the EHVI by their probability (`OutcomeModel`). The options
///   `cost`, `split` and the pending policies `ts`/`qei` apply to the single-objective acquisition only.
extension ANASODBO {
    /// How ANASOD-BO searches when a study has several objectives.
    public enum SeveralObjectives: String, Sendable, Hashable {
        /// Expected hypervolume improvement with the measures known (this file).
        case ehvi
        /// ParEGO's random scalarisations around the single-objective strategy (`ParEGO`).
        case parego
    }

    /// Candidate cells scored per encoding: every cell when it has at most `frontCandidates`, else
    /// `frontDecodes` random decodes (a large space's thousand pool encodings stay cheap to score).
    static let frontCandidates = 48
    static let frontDecodes = 12

    public mutating func pursue(measures: [(name: String, measure: Feasibility.Measure)]) -> Bool {
        guard configuration.severalObjectives == .ehvi, !measures.isEmpty else { return false }
        objectives = measures
        return true
    }

    func measures(of architecture: Architecture) -> [Double] { objectives.map { $0.measure.value(architecture) } }

    /// Steps 3–4 with several objectives.
    mutating func proposeOnFront(count: Int, pending: [Proposal], model: Surrogate.Model,
                                 using rng: inout SeededGenerator) -> [Proposal] {
        let space = history.space
        // The results trained to the end, on the GP's scale.
        var points = [[Double]]()
        var cells = [Architecture]()
        for (i, s) in history.successes.enumerated() where !history.stoppedIndices.contains(i) && !history.violating.contains(i) {
            points.append([model.targets[i]] + measures(of: s.architecture))
            cells.append(s.architecture)
        }
        // Before any result keeps to the constraints measured in evaluation, the front is empty and every box is
        // open; the median of all results is the error's reference then.
        let members = ParetoFront.members(points)

        // The pool: around every member of the front, and uniform.
        var pool = [[[Int]]]()
        var seen = Set<[[Int]]>()
        func add(_ counts: [[Int]]) {
            guard seen.insert(counts).inserted, history.remaining(counts: counts) > 0 else { return }
            pool.append(counts)
        }
        var centres = [ArchitectureEncoding]()
        var centreCounts = Set<[[Int]]>()
        for i in members {
            let encoding = space.encode(cells[i])
            if centreCounts.insert(encoding.counts(slots: space.slotsPerCell)).inserted { centres.append(encoding) }
        }
        // Half the pool's draws around the front's members, half uniform.
        let perCentre = max(8, configuration.poolSize / (2 * max(1, centres.count)))
        for centre in centres {
            add(centre.counts(slots: space.slotsPerCell))
            let alpha = DirichletSampling.concentrated(around: centre, beta: trustRegion.beta)
            for _ in 0..<perCentre { add(DirichletSampling.drawCounts(alpha: alpha, space: space, using: &rng)) }
        }
        let uniform = DirichletSampling.uniform(space)
        for _ in 0..<max(1, configuration.poolSize / 2) { add(DirichletSampling.drawCounts(alpha: uniform, space: space, using: &rng)) }

        // Candidate cells of each encoding, with their measures.
        var candidates = [[(cell: Architecture, measures: [Double])]]()
        var kept = [[[Int]]]()
        for counts in pool {
            let found = openCells(of: counts, enumeratingUpTo: Self.frontCandidates, decodes: Self.frontDecodes, using: &rng)
            guard !found.isEmpty else { continue }
            kept.append(counts)
            candidates.append(found.map { ($0, measures(of: $0)) })
        }
        pool = kept
        guard !pool.isEmpty else { return [] }

        // The reference point.
        var finished = points.map { $0[0] }.sorted()
        if finished.isEmpty { finished = model.targets.sorted() }
        var reference = [finished[finished.count / 2]]
        for d in objectives.indices {
            var high = -Double.infinity, low = Double.infinity
            for p in points where p[d + 1].isFinite { high = max(high, p[d + 1]); low = min(low, p[d + 1]) }
            for group in candidates { for c in group where c.measures[d].isFinite { high = max(high, c.measures[d]); low = min(low, c.measures[d]) } }
            reference.append(high + max(0.01 * (high - low), 1e-12 * abs(high), 1e-300))
        }
        var improvement = HypervolumeImprovement(points: points, reference: reference)

        // The encoding posterior over the pool and the pending cells' encodings.
        var vectors = [Double]()
        for counts in pool { vectors += ArchitectureEncoding.gridVector(counts) }
        for p in pending { vectors += space.encode(p.architecture).vector }
        var posterior = model.gp.posterior(at: vectors, count: pool.count + pending.count)
        for (k, p) in pending.enumerated() {
            let j = pool.count + k
            improvement.believe([posterior.mean[j]] + measures(of: p.architecture))
            posterior.condition(on: j, value: posterior.mean[j])
        }

        // The cell-level GP of the two-stage variant.
        var cellModel: Surrogate.Model?
        if configuration.withinEncoding == .cellModel {
            do {
                cellModel = try cellSurrogate.model(features: history.successes.map { cellFeatures.vector($0.architecture) },
                                                    values: history.successes.map(\.value), seed: history.seed,
                                                    conditionLimit: count + pending.count > Self.largeBatch ? Self.largeBatchConditionPoints : nil)
            } catch {
                fallbacks += 1
                notes.add("\(name): the cell-level GP could not be fitted on \(history.successes.count) results (\(error)); "
                          + "this call's cells are picked on the encoding GP instead")
            }
        }

        // Constraints measured in evaluation: the EHVI times the probability of keeping to them.
        let feasible = outcomeLogProbability(at: pool)?.map { Foundation.exp($0) } ?? [Double](repeating: 1, count: pool.count)

        // Lazy greedy: a score computed before a pick is an upper bound after it.
        func score(_ j: Int, _ taken: Set<Architecture>) -> Double {
            let sd = max(posterior.variance[j], 0).squareRoot()
            var best = -1.0
            for c in candidates[j] where !taken.contains(c.cell) {
                best = max(best, feasible[j] * improvement.expected(mean: posterior.mean[j], deviation: sd, measures: c.measures))
            }
            return best
        }
        var chosen = Set<Architecture>()
        var bounds = pool.indices.map { (bound: score($0, chosen), index: $0) }
        var out = [Proposal]()
        while out.count < count {
            bounds.sort { ($0.bound, -$0.index) > ($1.bound, -$1.index) }
            guard let top = bounds.first, top.bound >= 0 else { break }
            let fresh = score(top.index, chosen)
            if fresh < top.bound && bounds.count > 1 && (fresh, -top.index) < (bounds[1].bound, -bounds[1].index) {
                bounds[0].bound = fresh
                continue
            }
            let j = top.index
            guard fresh >= 0 else { bounds.removeFirst(); continue }
            let open = candidates[j].filter { !chosen.contains($0.cell) }
            var pick: (cell: Architecture, measures: [Double], mean: Double)?
            if let cellModel {
                pick = bestCellOnFront(counts: pool[j], model: cellModel, improvement: improvement, exclude: chosen, using: &rng)
            }
            if pick == nil {
                let sd = max(posterior.variance[j], 0).squareRoot()
                let values = open.map { improvement.expected(mean: posterior.mean[j], deviation: sd, measures: $0.measures) }
                let k = values.indices.max { (values[$0], -$0) < (values[$1], -$1) }!
                pick = (open[k].cell, open[k].measures, posterior.mean[j])
            }
            guard let pick else { bounds.removeFirst(); continue }
            chosen.insert(pick.cell)
            out.append(history.proposal(pick.cell))
            improvement.believe([pick.mean] + pick.measures)
            posterior.condition(on: j, value: posterior.mean[j])
            bounds[0].bound = score(j, chosen)
        }
        return out
    }

    /// The unproposed cell of encoding `counts` with the highest EHVI under the cell-level GP (every cell of the
    /// encoding when it has at most 5,000, else 256 random decodes), times its probability of keeping to the
    /// constraints measured in evaluation; with its measures and predicted error.
    mutating func bestCellOnFront(counts: [[Int]], model: Surrogate.Model, improvement: HypervolumeImprovement,
                         exclude: Set<Architecture>, using rng: inout SeededGenerator)
        -> (cell: Architecture, measures: [Double], mean: Double)? {
        let found = openCells(of: counts, enumeratingUpTo: 5000, decodes: 256, exclude: exclude, using: &rng)
        guard !found.isEmpty else { return nil }
        var vectors = [Double]()
        for arch in found { vectors += cellFeatures.vector(arch) }
        let posterior = model.gp.posterior(at: vectors, count: found.count)
        let feasible = cellOutcomeLogProbability(found)?.map { Foundation.exp($0) }
        var best: (cell: Architecture, measures: [Double], mean: Double, value: Double)?
        for (k, arch) in found.enumerated() {
            let m = measures(of: arch)
            let value = (feasible?[k] ?? 1)
                * improvement.expected(mean: posterior.mean[k], deviation: max(posterior.variance[k], 0).squareRoot(), measures: m)
            if best == nil || value > best!.value { best = (arch, m, posterior.mean[k], value) }
        }
        return best.map { ($0.cell, $0.measures, $0.mean) }
    }
}
