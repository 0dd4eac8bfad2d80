#!/usr/bin/env python3
"""Tests of scripts/optuna_runs.py that need only the standard library (optuna is imported lazily there).

    python3 -m unittest discover -s scripts -p 'test_optuna_runs.py'     (or: python3 scripts/test_optuna_runs.py)

The parity values below were printed by the Swift code (``NB201SearchSpace.index(of:)``, ``NB201Runs.draw``,
``NB201Runs.mean`` and the benchmark's median ``sorted[count / 2]``) on the synthetic tables described with
them and on ../shared/data/nb201-runs/; the Swift suite also compares the two sides live
(Tests/EvaluationTests/OptunaRunsScriptTests.swift). The real-data tests are skipped where the runs are not.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
import tempfile
import unittest
from contextlib import redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import optuna_runs as o  # noqa: E402

# NB201Runs.draw's choice on tables whose every cell has `count` runs, per benchmark seed: one digit per
# (cell, attempt) for the cells SWIFT_CELLS (outer) and the attempts SWIFT_ATTEMPTS (inner).
SWIFT_CELLS = (0, 1, 1234, 7812, 9999, 15624)
SWIFT_ATTEMPTS = (0, 1, 2, 5, 1000)
SWIFT_CHOICES = {
    2: [
        (0, "011101100110001111000001001001"),
        (1, "100011100010100001101110001010"),
        (7, "110111010100011010001110011010"),
        (42, "011110101111100000101100001011"),
        (119, "000110010101111101011110110010"),
        (123456789, "001110111011101111111010010101"),
        (9223372036854775813, "111001001111100110001111001111"),
        (18446744073709551615, "000010101011110111100110011010"),
    ],
    3: [
        (0, "002111012200222220201102210221"),
        (1, "102102100020021222111220012211"),
        (7, "201120001012111111102210122121"),
        (42, "012110022210021122202121101011"),
        (119, "110101000221120121022101221122"),
        (123456789, "210000120022101000122121200021"),
        (9223372036854775813, "120020210110210101000112002101"),
        (18446744073709551615, "002122101020120020210121021120"),
    ],
}
# NB201SearchSpace.index(of:) of arch strings.
SWIFT_INDICES = {
    "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|": 0,
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|": 11791,
    "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|": 15624,
    "|skip_connect~0|+|nor_conv_1x1~0|none~1|+|nor_conv_3x3~0|avg_pool_3x3~1|skip_connect~2|": 4471,
}
# The real runs: (median true error, optimum of the means), the means of some cells, and the draws
# (error of attempts 0, 1, 2; seconds) of some (seed, cell).
SWIFT_REAL_SUMMARY = {
    "cifar10-valid": (
        (12.688000000000002, 8.393333333333336),
        {0: 90.288, 1234: 29.567999999999998, 7812: 13.490666666666664, 15624: 62.652},
    ),
    "cifar100": ((34.833333333333336, 26.50666666666667), {0: 99.0, 1234: 55.03, 7812: 34.6, 15624: 90.01}),
}
SWIFT_REAL_DRAWS = {
    "cifar10-valid": {
        (0, 1234): ((30.867999999999995, 28.268, 28.268), 1089.46),
        (0, 7812): ((13.304000000000002, 13.304000000000002, 13.319999999999993), 2923.86),
        (0, 15624): ((61.332, 63.972, 61.332), 1696.99),
        (3, 1234): ((30.867999999999995, 28.268, 30.867999999999995), 1089.46),
        (3, 7812): ((13.847999999999999, 13.304000000000002, 13.847999999999999), 2923.86),
        (3, 15624): ((61.332, 63.972, 61.332), 1696.99),
        (119, 1234): ((28.268, 30.867999999999995, 30.867999999999995), 1089.46),
        (119, 7812): ((13.847999999999999, 13.304000000000002, 13.847999999999999), 2923.86),
        (119, 15624): ((63.972, 61.332, 61.332), 1696.99),
    },
    "cifar100": {
        (0, 1234): ((54.4, 55.66, 55.66), 2178.92),
        (0, 7812): ((34.480000000000004, 34.480000000000004, 34.459999999999994), 5847.71),
        (0, 15624): ((90.26, 89.76, 90.26), 3393.98),
        (3, 1234): ((54.4, 55.66, 54.4), 2178.92),
        (3, 7812): ((34.86, 34.480000000000004, 34.86), 5847.71),
        (3, 15624): ((90.26, 89.76, 90.26), 3393.98),
        (119, 1234): ((55.66, 54.4, 54.4), 2178.92),
        (119, 7812): ((34.86, 34.480000000000004, 34.86), 5847.71),
        (119, 15624): ((89.76, 90.26, 90.26), 3393.98),
    },
}

HEADER = "arch,val_accuracy_runs,train_seconds,latency_seconds,params_mb\n"


def synthetic_csv(runs: callable = lambda i: [10.0, 11.0, 12.0]) -> str:
    """Every cell once: accuracies `runs(index)`, seconds 100 + index."""
    rows = [HEADER]
    for i in range(o.CELL_COUNT):
        rows.append(f"{o.format_arch(o.cell_operations(i))},{';'.join(repr(a) for a in runs(i))},{100 + i},0.01,0.5\n")
    return "".join(rows)


def real_path(task: str) -> str:
    return o.resolve(task)


class CellIndexTests(unittest.TestCase):
    def test_importing_the_script_does_not_import_optuna(self) -> None:
        self.assertNotIn("optuna", sys.modules)

    def test_arch_strings_map_to_the_swift_index(self) -> None:
        for text, index in SWIFT_INDICES.items():
            self.assertEqual(o.cell_index(o.parse_arch(text)), index, text)

    def test_index_and_operations_are_inverse_over_the_whole_space(self) -> None:
        seen = set()
        for i in range(o.CELL_COUNT):
            ops = o.cell_operations(i)
            self.assertEqual(o.cell_index(ops), i)
            self.assertEqual(o.cell_index(o.parse_arch(o.format_arch(ops))), i)
            seen.add(ops)
        self.assertEqual(len(seen), 5**6)

    def test_malformed_arch_strings_are_refused(self) -> None:
        for text in (
            "",
            "|none~0|",
            "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
            "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
        ):
            with self.assertRaises(o.OptunaRunsError) as raised:
                o.parse_arch(text)
            self.assertEqual(raised.exception.code, o.OptunaRunsError.MALFORMED_TABLE)


class DrawTests(unittest.TestCase):
    def test_the_hash_chooses_the_run_the_swift_draw_chooses(self) -> None:
        for count, rows in SWIFT_CHOICES.items():
            for seed, digits in rows:
                mine = "".join(
                    str(o.draw_choice(seed, cell, attempt, count)) for cell in SWIFT_CELLS for attempt in SWIFT_ATTEMPTS
                )
                self.assertEqual(mine, digits, f"{count} runs, seed {seed}")

    def test_the_hash_wraps_at_64_bits(self) -> None:
        for seed in (0, 2**63, 2**64 - 1):
            self.assertLess(o.draw_hash(seed, 15624, 10**6), 2**64)
            self.assertGreaterEqual(o.draw_hash(seed, 15624, 10**6), 0)

    def test_a_table_draws_by_seed_cell_and_attempt(self) -> None:
        table = o.parse_runs(synthetic_csv(), "synthetic")
        ops = o.cell_operations(1234)
        # error = 100 − accuracy: accuracies 10, 11, 12 → errors 90, 89, 88.
        self.assertEqual(table.errors[1234], [90.0, 89.0, 88.0])
        for seed, digits in SWIFT_CHOICES[3]:
            for a, attempt in enumerate(SWIFT_ATTEMPTS):
                error, seconds = table.draw(ops, seed, attempt)
                self.assertEqual(90 - error, int(digits[SWIFT_CELLS.index(1234) * len(SWIFT_ATTEMPTS) + a]))
                self.assertEqual(seconds, 1334.0)

    def test_true_means_and_the_median_are_taken_as_the_swift_side_takes_them(self) -> None:
        table = o.parse_runs(
            synthetic_csv(lambda i: [float(i % 90), float(i % 90) + 1, float(i % 90) + 2]), "synthetic"
        )
        self.assertEqual(table.mean[1234], 100 - (1234 % 90) - 1)
        ordered = sorted(table.mean)
        self.assertEqual(table.median_true_error, ordered[7812])  # sorted[count / 2], not an average of two
        # Left-to-right sums, as Swift's reduce: 0.1 + 0.2 + 0.3 is not math.fsum's 0.6.
        self.assertEqual(o.swift_mean([0.1, 0.2, 0.3]), (0.1 + 0.2 + 0.3) / 3)


@unittest.skipUnless(
    all(os.path.exists(real_path(t)) for t in SWIFT_REAL_SUMMARY),
    "needs ../shared/data/nb201-runs/ (or $ANASOD_NB201_RUNS_DIR)",
)
class RealRunsTests(unittest.TestCase):
    def test_the_real_runs_draw_and_average_as_in_swift(self) -> None:
        for task, ((median, optimum), means) in SWIFT_REAL_SUMMARY.items():
            table = o.load_runs(real_path(task))
            self.assertEqual(table.median_true_error, median, task)
            self.assertEqual(min(table.mean), optimum, task)
            for cell, mean in means.items():
                self.assertEqual(table.mean[cell], mean, f"{task} cell {cell}")
            for (seed, cell), (errors, seconds) in SWIFT_REAL_DRAWS[task].items():
                for attempt, error in enumerate(errors):
                    self.assertEqual(
                        table.draw(cell, seed, attempt), (error, seconds), f"{task} {seed} {cell} {attempt}"
                    )


class TableErrorTests(unittest.TestCase):
    def assert_malformed(self, text: str, fragment: str) -> None:
        with self.assertRaises(o.OptunaRunsError) as raised:
            o.parse_runs(text, "r.csv")
        self.assertEqual(raised.exception.code, o.OptunaRunsError.MALFORMED_TABLE)
        self.assertIn(fragment, raised.exception.message)

    def test_malformed_rows_are_refused_with_their_file_and_line(self) -> None:
        arch = o.format_arch((0,) * 6)
        self.assert_malformed("", "r.csv: the file is empty")
        self.assert_malformed("arch,accuracy\n", "r.csv:1: the header must name")
        self.assert_malformed(HEADER + f"{arch},91;x,700,0.01,0.1\n", "r.csv:2: val_accuracy_runs")
        self.assert_malformed(HEADER + f"{arch},91;101,700,0.01,0.1\n", "r.csv:2: val_accuracy_runs")
        self.assert_malformed(HEADER + f"{arch},91;92,-3,0.01,0.1\n", "r.csv:2: train_seconds")
        self.assert_malformed(HEADER + f"{arch},91;92,nan,0.01,0.1\n", "r.csv:2: train_seconds")
        self.assert_malformed(HEADER + f"{arch},91;92,700,0.01\n", "r.csv:2: expected 5 fields")
        self.assert_malformed(HEADER + f"{arch},91,700,0.01,0.1\n|x~0|,91,700,0.01,0.1\n", "r.csv:3: NB201 arch string")
        self.assert_malformed(HEADER + f"{arch},91,700,0.01,0.1\n{arch},91,700,0.01,0.1\n", "r.csv:3: duplicate cell")
        self.assert_malformed(HEADER + f"{arch},91,700,0.01,0.1\n", "15624 of 15625 cells are missing")

    def test_a_missing_file_is_named(self) -> None:
        with self.assertRaises(o.OptunaRunsError) as raised:
            o.load_runs("/nonexistent/runs.csv")
        self.assertEqual(raised.exception.code, o.OptunaRunsError.FILE_UNREADABLE)
        self.assertIn("/nonexistent/runs.csv", raised.exception.message)

    def test_bare_names_resolve_like_the_swift_side(self) -> None:
        self.assertEqual(o.resolve("some/where.csv", environment={}), "some/where.csv")
        self.assertEqual(o.resolve("x.csv", environment={}), "x.csv")
        self.assertEqual(o.resolve("cifar100", "/d", environment={}), "/d/cifar100.csv")
        self.assertEqual(o.resolve("cifar100", environment={o.DIRECTORY_VARIABLE: "/e"}), "/e/cifar100.csv")
        self.assertEqual(
            o.resolve("cifar100", environment={}),
            os.path.normpath(Path(o.__file__).resolve().parent.parent / "../shared/data/nb201-runs/cifar100.csv"),
        )


class SimulationTests(unittest.TestCase):
    """The simulated clock and attempts, with a scripted proposer in place of an Optuna study."""

    def table(self) -> o.RunsTable:
        # Accuracies 10, 11, 12 (errors 90, 89, 88; true mean 89) for every cell but a few good ones.
        good = {1: [80.0, 90.0], 2: [70.0, 71.0, 72.0], 3: [95.0, 85.0]}
        return o.parse_runs(synthetic_csv(lambda i: good.get(i, [10.0, 11.0, 12.0])), "synthetic")

    def scripted(self, cells: list[int]) -> tuple:
        told: list[tuple[int, float]] = []
        queue = iter(range(len(cells)))

        def ask() -> tuple:
            n = next(queue)
            return n, o.cell_operations(cells[n])

        return ask, lambda n, error: told.append((n, error)), told

    def test_a_cell_proposed_again_is_a_retrain_that_draws_the_next_attempt(self) -> None:
        table = self.table()
        cells = [1, 5, 1, 1, 7]
        ask, tell, told = self.scripted(cells)
        run = o.simulate(
            table.draw, table.mean.__getitem__, ask, tell, seed=3, budget=5, workers=1, median=table.median_true_error
        )
        self.assertEqual(run.retrains, 2)
        attempts = [0, 0, 1, 2, 0]
        self.assertEqual([e for _, e in told], [table.draw(c, 3, a)[0] for c, a in zip(cells, attempts)])
        self.assertEqual([p.gpu_seconds for p in run.points], [101.0, 206.0, 307.0, 408.0, 515.0])
        self.assertEqual([p.time for p in run.points], [p.gpu_seconds for p in run.points])
        self.assertEqual(run.points[-1].best_seen, min(e for _, e in told))

    def test_workers_finish_in_clock_order_and_the_lower_worker_wins_ties(self) -> None:
        table = self.table()
        cells = [200, 100, 100, 50, 9]  # seconds 300, 200, 200, 150, 109
        ask, tell, told = self.scripted(cells)
        run = o.simulate(
            table.draw, table.mean.__getitem__, ask, tell, seed=0, budget=5, workers=2, median=table.median_true_error
        )
        # w0: 200 (0–300); w1: 100 (0–200), then 100 again (200–400: a retrain, attempt 1);
        # w0 at 300: 50 (300–450); w1 at 400: 9 (400–509).
        self.assertEqual([n for n, _ in told], [1, 0, 2, 3, 4])
        self.assertEqual([p.time for p in run.points], [200.0, 300.0, 400.0, 450.0, 509.0])
        self.assertEqual(run.points[-1].gpu_seconds, 300.0 + 200 + 200 + 150 + 109)
        self.assertEqual(run.retrains, 1)

    def test_recommendation_is_the_best_trial_or_the_best_cell_mean(self) -> None:
        # Cell 2 draws 29 and 28 (mean 28.5); cell 3 draws 5, 15 and then 70 (mean 30): the best single trial
        # stays cell 3's lucky 5, the best mean moves to cell 2.
        history = [(2, 29.0), (3, 5.0), (3, 15.0), (2, 28.0)]
        self.assertEqual(o.recommend(history, "best-trial"), 3)
        self.assertEqual(o.recommend(history, "cell-mean"), 3)
        self.assertEqual(o.recommend(history + [(3, 70.0)], "best-trial"), 3)
        self.assertEqual(o.recommend(history + [(3, 70.0)], "cell-mean"), 2)
        self.assertEqual(o.recommend([(4, 1.0), (5, 1.0)], "best-trial"), 4)  # ties: the first completed
        self.assertEqual(o.recommend([(4, 1.0), (5, 1.0)], "cell-mean"), 4)

    def test_the_wasted_share_counts_cells_worse_than_the_median(self) -> None:
        table = self.table()
        ask, tell, _ = self.scripted([2, 10])  # cell 2 is good (true error 29), cell 10 is at the median (89)
        run = o.simulate(table.draw, table.mean.__getitem__, ask, tell, seed=0, budget=2, workers=1, median=80.0)
        self.assertAlmostEqual(run.wasted_share, 110 / (102 + 110))
        self.assertEqual(run.points[0].recommended_true_error, 29.0)


class ConstraintTests(unittest.TestCase):
    """Limits known before training (issue 30): parsed as the Swift side parses them, percentiles taken the same
    way, and only feasible cells counting towards the best seen and the recommendation."""

    def table(self) -> o.RunsTable:
        table = o.parse_runs(synthetic_csv(lambda i: [50.0 + (i % 7)]), "synthetic")
        table.measures["params"] = [float(i) for i in range(o.CELL_COUNT)]
        return table

    def test_limits_parse_with_numbers_and_percentiles(self) -> None:
        table = self.table()
        self.assertEqual(o.parse_limit("params<=0.5e6", table), o.Limit("params", "<=", 5e5))
        self.assertEqual(o.parse_limit(" latency_ms > 3 ", table), o.Limit("latency_ms", ">", 3.0))
        # sorted[min(n − 1, int(q / 100 · n))] over 0 … 15624
        self.assertEqual(o.parse_limit("params<=p25", table).bound, float(int(0.25 * o.CELL_COUNT)))
        self.assertEqual(o.parse_limit("params<p100", table).bound, float(o.CELL_COUNT - 1))
        for bad in ("params", "params<=", "size<=3", "params<=p101", "params<=lots", "params==3", "params<=inf"):
            with self.assertRaises(o.OptunaRunsError, msg=bad) as caught:
                o.parse_limit(bad, table)
            self.assertIn("--constraint", caught.exception.message)
        limit = o.Limit("params", "<=", 10)
        self.assertTrue(limit.holds(10) and not limit.holds(11) and not limit.holds(math.nan))
        self.assertEqual((limit.violation(4), limit.violation(12)), (-6, 2))
        # A strict limit at its bound is broken, for Optuna too (> 0), as Limit.holds and the Swift side say.
        self.assertGreater(o.Limit("params", "<", 10).violation(10), 0)
        self.assertEqual(o.Limit("params", "<=", 10).violation(10), 0)
        self.assertEqual(o.Limit("x", ">=", 10).violation(4), 6)
        self.assertEqual(str(o.Limit("params", "<=", 5e5)), "params <= 500000")

    def test_only_feasible_cells_count_and_the_infeasible_ones_are_counted(self) -> None:
        table = self.table()
        limits = [o.Limit("params", "<=", 100)]
        cells = [5000, 3, 9000, 10]
        queue = iter(range(len(cells)))
        run = o.simulate(
            table.draw,
            table.mean.__getitem__,
            lambda: (lambda n: (n, o.cell_operations(cells[n])))(next(queue)),
            lambda n, error: None,
            seed=0,
            budget=4,
            workers=1,
            median=table.median_true_error,
            is_feasible=lambda index: o.feasible(table, limits, index),
        )
        self.assertEqual(run.infeasible, 2)
        self.assertTrue(math.isinf(run.points[0].best_seen))  # nothing feasible yet
        self.assertEqual(run.points[1].best_seen, 100 - (50.0 + 3 % 7))
        self.assertEqual(run.points[3].best_seen, min(100 - (50.0 + 3 % 7), 100 - (50.0 + 10 % 7)))
        self.assertEqual(run.points[2].recommended_true_error, table.mean[3])  # not the infeasible 9000


class MultiObjectiveTests(unittest.TestCase):
    """Several objectives (issue 30): the hypervolume as ``ParetoFront.hypervolume`` computes it, and the
    objectives' ideal and reference points as ``BenchSearch.runsObjectives`` takes them."""

    def test_hypervolume_counts_the_dominated_unit_cells(self) -> None:
        import itertools
        import random

        rng = random.Random(5)
        for d in (2, 3):
            for _ in range(20):
                points = [[rng.randrange(10) for _ in range(d)] for _ in range(rng.randrange(1, 8))]
                count = sum(
                    1
                    for corner in itertools.product(range(8), repeat=d)
                    if any(all(p <= c for p, c in zip(point, corner)) for point in points)
                )
                self.assertEqual(o.hypervolume(points, [8] * d), count, points)
        self.assertEqual(o.hypervolume([[9, 1]], [8, 8]), 0)
        self.assertTrue(o.dominates([1, 2], [2, 2]) and not o.dominates([1, 2], [1, 2]))

    def test_objectives_take_their_box_from_the_table(self) -> None:
        table = o.parse_runs(synthetic_csv(lambda i: [50.0 + (i % 7)]), "synthetic")
        several = o.parse_objectives("val_error,latency_ms", table)
        self.assertEqual(several.names, ("latency_ms",))
        self.assertEqual(several.ideal, (min(e for r in table.errors for e in r), 10.0))
        self.assertEqual(several.reference, (table.median_true_error, 10.0))
        self.assertEqual(several.values(table, 3), [10.0])
        for bad in ("latency_ms,val_error", "val_error", "val_error,size", "val_error,params,params"):
            with self.assertRaises(o.OptunaRunsError, msg=bad):
                o.parse_objectives(bad, table)


class ReportTests(unittest.TestCase):
    def run_of(self, strategy: str, seed: int, n: int, workers: int = 1, step: float = 1000.0) -> o.Run:
        points = [
            o.Point(
                time=step * (i + 1) / workers,
                gpu_seconds=step * (i + 1),
                best_seen=10.0 - seed - i / n,
                recommended_true_error=12.0 - seed,
            )
            for i in range(n)
        ]
        return o.Run(strategy, seed, workers, points, wasted_share=0.25 * (seed + 1), retrains=seed)

    def test_checkpoints_and_the_dash_rule_follow_the_swift_report(self) -> None:
        runs = [self.run_of("optuna-x", 0, 150), self.run_of("optuna-x", 1, 120)]
        text = o.markdown([c for r in runs for c in o.checkpoints(r)])
        lines = text.splitlines()
        row = next(line for line in lines if line.startswith("| optuna-x |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        # best seen @50: mean of 10 − 49/150 and 9 − 49/120; @150 and @300 "—" (one run stopped at 120).
        a, b = 10 - 49 / 150, 9 - 49 / 120
        mean = (a + b) / 2
        se = math.sqrt(((a - mean) ** 2 + (b - mean) ** 2) / 1 / 2)
        self.assertEqual(cells[1], "%.3f ± %.3f" % (mean, se))
        self.assertEqual(cells[3:5], ["—", "—"])
        self.assertEqual(cells[5], "11.500 ± 0.500")
        self.assertEqual(cells[9:11], ["38 %", "0.5"])
        gpu_row = [line for line in lines if line.startswith("| optuna-x |")][1]
        gpu_cells = [c.strip() for c in gpu_row.strip("|").split("|")]
        # 1e5 GPU-s = evaluation 100 in both runs; 3e5 and 1e6 never reached; GPU-s for 150: "—".
        self.assertEqual(
            gpu_cells[1],
            "%.3f ± %.3f" % ((10 - 99 / 150 + 9 - 99 / 120) / 2, abs((10 - 99 / 150) - (9 - 99 / 120)) / 2),
        )
        self.assertEqual(gpu_cells[2:4] + gpu_cells[-1:], ["—", "—", "—"])
        self.assertIn("| strategy | best seen @1e5 | best seen @3e5 | best seen @1e6 |", text)

    def test_wall_clock_tables_appear_for_several_workers(self) -> None:
        runs = [self.run_of("optuna-x", s, 300, workers=8, step=4000.0) for s in range(2)]
        text = o.tables([c for r in runs for c in o.checkpoints(r)])
        self.assertIn("### 8 workers", text)
        self.assertIn("With 8 asynchronous workers, at simulated wall-clock seconds (the GPU checkpoints / 8):", text)
        self.assertIn("best seen @1.2e4 s", text)
        self.assertIn("GPU-s for 150 evaluations |", text)
        self.assertTrue(any(line.startswith("| optuna-x |") and line.endswith("| 6e5 |") for line in text.splitlines()))

    def test_seconds_are_written_as_the_swift_report_writes_them(self) -> None:
        cases = {
            1e5: "1e5",
            3e5: "3e5",
            1e6: "1e6",
            12345.6: "1.2e4",
            12500.0: "1.2e4",
            1e5 / 8: "1.2e4",
            3e5 / 8: "3.8e4",
            1e6 / 8: "1.2e5",
            0.0: "0",
            95000.0: "9.5e4",
            99600.0: "10e4",
        }  # as NoisyRunsReport.seconds has it: a mantissa within 0.05 of 10 stays "10"
        for value, text in cases.items():
            self.assertEqual(o.seconds_text(value), text, value)

    def test_the_per_run_csv_gives_back_the_same_tables(self) -> None:
        runs = [self.run_of("optuna-x", s, 160, workers=2) for s in range(3)] + [
            self.run_of("optuna-y", 0, 40, workers=2)
        ]
        rows = [c for r in runs for c in o.checkpoints(r)]
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "runs.csv")
            o.write_csv(path, rows, "runs.csv", "5.x")
            with open(path, newline="") as f:
                self.assertEqual(len(list(csv.reader(f))), 1 + len(runs) * (4 + 3 + 3))
            self.assertEqual(o.tables(o.read_csv(path)), o.tables(rows))
            with open(path, "a") as f:
                f.write("optuna-x,0,2,sideways,1,1,1,1,1,1,1,0,0,r,5\n")
            with self.assertRaises(o.OptunaRunsError) as raised:
                o.read_csv(path)
            self.assertIn(f"{path}:{2 + len(rows)}: unknown axis", raised.exception.message)

    def test_the_points_csv_holds_every_point_as_the_swift_csv_does(self) -> None:
        runs = [self.run_of("optuna-x", 0, 12), self.run_of("optuna-tpe[a,b]", 1, 5, workers=2)]
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "points.csv")
            o.write_points_csv(path, runs)
            with open(path, newline="") as f:
                rows = list(csv.reader(f))
        self.assertEqual(",".join(rows[0]), o.POINTS_CSV_HEADER)
        self.assertEqual(len(rows), 1 + 12 + 5)
        last = rows[-1]
        self.assertEqual(last[:4], ["optuna-tpe[a,b]", "1", "2", "5"])  # a name with a comma is quoted
        p = runs[1].points[-1]
        self.assertEqual([float(v) for v in last[4:]], [p.time, p.gpu_seconds, p.best_seen, p.recommended_true_error])

    def test_the_command_line_refuses_bad_input_with_a_message(self) -> None:
        for argv, fragment in (
            (["--runs", "/nonexistent.csv", "--samplers", "random"], "/nonexistent.csv"),
            (["--runs", "x.csv", "--samplers", "cmaes"], "unknown sampler"),
            (["--runs", "x.csv", "--workers", "0"], "--workers"),
            (["--samplers", "random"], "--runs is required"),
        ):
            with self.assertRaises(o.OptunaRunsError) as raised, redirect_stdout(io.StringIO()):
                o.main(argv)
            self.assertIn(fragment, raised.exception.message)


if __name__ == "__main__":
    unittest.main()
