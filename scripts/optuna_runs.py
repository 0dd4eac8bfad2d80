#!/usr/bin/env python3
"""Optuna 5's reference samplers on NAS-Bench-201's noisy runs, beside ``anasod bench --runs`` (issue 26).

    python3 scripts/optuna_runs.py --runs cifar10-valid --samplers tpe,gp,random --seeds 20 --budget 150
    (or through scripts/optuna-bench.sh, which installs Optuna, scipy and torch in a virtual environment)

The same setting as the Swift benchmark (Sources/Search/Benchmark/NoisyRunsBenchmark.swift), on the same runs
and draws:

- The space: NB201's 6 edges as 6 categorical parameters (``edge_0_1``, ``edge_0_2``, ``edge_1_2``,
  ``edge_0_3``, ``edge_1_3``, ``edge_2_3``; choices the arch strings' operation names). A cell's index is
  its operations read as base-5 digits, the first edge most significant (``NB201SearchSpace.index(of:)``).
- Each evaluation is one training run of the cell, drawn by ``NB201Runs.draw``'s hash of (seed, cell index,
  attempt) (SplitMix64's finaliser on 64-bit words, reproduced here with masking to 2**64): attempt k is
  the cell's (k+1)-th training in this benchmark run. An Optuna trial that suggests a cell already trained
  in this run is a retrain, draws attempt k and costs its GPU seconds again.
- W asynchronous workers on a simulated clock: whenever workers are free, a trial is asked for each free
  worker (``study.ask()``; the trial stays RUNNING while its evaluation is in flight), the earliest
  evaluation to finish (ties: the lower worker) is told (``study.tell``) and its worker freed. Seconds per
  evaluation are the cell's ``train_seconds``; the samplers' own compute time is not on the clock.
- Samplers, each seeded by the benchmark seed, with Optuna's default settings: ``TPESampler(seed=s)`` (in
  Optuna 5 that is the multivariate TPE, with ``constant_liar=True``: running trials count as bad ones),
  ``GPSampler(seed=s)`` (logEI; with trials running, q-batch logEI over them), ``RandomSampler(seed=s)``.
  ``--tpe-univariate`` and ``--tpe-no-constant-liar`` switch those off (the names then say so).
- The recommended cell is Optuna's best trial's cell (``study.best_trial``: the lowest single value, ties
  to the first completed), reported by its true mean error (the mean over the cell's runs). With
  ``--recommendation cell-mean`` it is instead the evaluated cell with the lowest mean of its draws (ties
  to the first seen), as the project's ``bestSeenRecommendation``.

It prints the tables of ``NoisyRunsReport`` (the same columns, checkpoints, "mean ± se" over seeds, "—"
where some run had not got that far) with the strategies ``optuna-tpe``, ``optuna-gp``, ``optuna-random``;
``--per-run-csv FILE`` writes one row per run and checkpoint, and ``--tables-from FILE...`` prints the
tables again from such files (merged across invocations).

Standard library only at import time: optuna (and, for the GP sampler, torch and scipy) is imported when a
run starts, so the draw, the index and the tables are testable without it (scripts/test_optuna_runs.py).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

OPERATIONS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGE_SOURCES: tuple[int, ...] = (0, 0, 1, 0, 1, 2)
EDGE_TARGETS: tuple[int, ...] = (1, 2, 2, 3, 3, 3)
PARAMETERS: tuple[str, ...] = tuple(f"edge_{s}_{t}" for s, t in zip(EDGE_SOURCES, EDGE_TARGETS))
CELL_COUNT = 5**6
HEADER: tuple[str, ...] = ("arch", "val_accuracy_runs", "train_seconds", "latency_seconds", "params_mb")
DIRECTORY_VARIABLE = "ANASOD_NB201_RUNS_DIR"
DEFAULT_DIRECTORY = "../shared/data/nb201-runs"
REPOSITORY = Path(__file__).resolve().parent.parent

EVALUATION_CHECKPOINTS: tuple[int, ...] = (50, 100, 150, 300)
GPU_CHECKPOINTS: tuple[float, ...] = (1e5, 3e5, 1e6)
SAMPLERS: tuple[str, ...] = ("tpe", "gp", "random", "nsga2")

MASK = (1 << 64) - 1


class OptunaRunsError(Exception):
    """Bad input (a file, a row, an argument) or a missing dependency, with a message a user can act on."""

    FILE_UNREADABLE = "file-unreadable"
    MALFORMED_TABLE = "malformed-table"
    BAD_ARGUMENT = "bad-argument"
    UNAVAILABLE = "unavailable"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Cells and draws: exactly as NB201SearchSpace and NB201Runs.

_ARCH = re.compile(r"^\|([^~|+]+)~0\|\+\|([^~|+]+)~0\|([^~|+]+)~1\|\+\|([^~|+]+)~0\|([^~|+]+)~1\|([^~|+]+)~2\|$")


def parse_arch(text: str) -> tuple[int, ...]:
    """The operation indices (arch-string order) of an NB201 arch string ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

    Raises OptunaRunsError (malformed-table) for anything else.
    """
    match = _ARCH.match(text)
    if match is None:
        raise OptunaRunsError(
            OptunaRunsError.MALFORMED_TABLE,
            f"NB201 arch string '{text[:120]}' is not of the form |op~0|+|op~0|op~1|+|op~0|op~1|op~2|",
        )
    ops = []
    for name in match.groups():
        if name not in OPERATIONS:
            raise OptunaRunsError(
                OptunaRunsError.MALFORMED_TABLE,
                f"NB201 arch string '{text[:120]}': unknown operation '{name}' (known: {', '.join(OPERATIONS)})",
            )
        ops.append(OPERATIONS.index(name))
    return tuple(ops)


def format_arch(ops: Sequence[int]) -> str:
    """The arch string of operation indices (inverse of parse_arch)."""
    n = [OPERATIONS[o] for o in ops]
    return f"|{n[0]}~0|+|{n[1]}~0|{n[2]}~1|+|{n[3]}~0|{n[4]}~1|{n[5]}~2|"


def cell_index(ops: Sequence[int]) -> int:
    """The cell's index in 0..<15,625: its operations as base-5 digits, the first edge most significant."""
    if len(ops) != 6 or any(not 0 <= o < 5 for o in ops):
        raise ValueError(f"an NB201 cell is 6 operation indices in 0..<5, got {list(ops)}")
    index = 0
    for o in ops:
        index = index * 5 + o
    return index


def cell_operations(index: int) -> tuple[int, ...]:
    """The operation indices of the cell with `index` (inverse of cell_index)."""
    if not 0 <= index < CELL_COUNT:
        raise ValueError(f"NB201 cell index out of range: {index}")
    ops = [0] * 6
    for slot in range(5, -1, -1):
        ops[slot] = index % 5
        index //= 5
    return tuple(ops)


def draw_hash(seed: int, index: int, attempt: int) -> int:
    """``NB201Runs.draw``'s 64-bit hash of (benchmark seed, cell index, attempt), wrapping as Swift's ``&*``, ``&+``."""
    z = (seed * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + (attempt & MASK) * 0x94D049BB133111EB) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def draw_choice(seed: int, index: int, attempt: int, count: int) -> int:
    """Which of a cell's `count` runs attempt `attempt` draws in the benchmark run of `seed`."""
    return draw_hash(seed, index, attempt) % count


def swift_mean(values: Iterable[float]) -> float:
    """The mean as Swift's ``reduce(0, +) / count`` computes it: plain left-to-right sums (Python 3.12's
    ``sum`` of floats is compensated and may differ in the last bit)."""
    total, count = 0.0, 0
    for v in values:
        total += v
        count += 1
    return total / count


@dataclass
class RunsTable:
    """An ``nb201-runs`` CSV: per cell index, the validation error (100 − accuracy) of each run and the
    seconds of one training."""

    source: str
    errors: list[list[float]]
    seconds: list[float]
    mean: list[float]
    # What the table knows of each cell before training, in the units a constraint names (issue 30):
    # parameters (counted) and latency in milliseconds.
    measures: dict[str, list[float]] = field(default_factory=dict)

    def draw(self, ops_or_index: Sequence[int] | int, seed: int, attempt: int) -> tuple[float, float]:
        """(error, seconds) of run `attempt` of a cell in the benchmark run of `seed` (``NB201Runs.draw``)."""
        index = ops_or_index if isinstance(ops_or_index, int) else cell_index(ops_or_index)
        runs = self.errors[index]
        return runs[draw_choice(seed, index, attempt, len(runs))], self.seconds[index]

    @property
    def median_true_error(self) -> float:
        """The space's median true error as the Swift benchmark takes it: ``sorted[count / 2]``."""
        ordered = sorted(self.mean)
        return ordered[len(ordered) // 2]


def resolve(runs: str, directory: str | None = None, environment: dict[str, str] | None = None) -> str:
    """A path as is; a bare name (``cifar10-valid``) as NAME.csv in `directory`, else ``$ANASOD_NB201_RUNS_DIR``,
    else ``../shared/data/nb201-runs`` relative to the repository root (``NB201Runs.resolve``, which takes
    it relative to the working directory: the same when run from the root, as the README does)."""
    if "/" in runs or runs.endswith(".csv"):
        return runs
    env = os.environ if environment is None else environment
    folder = directory or env.get(DIRECTORY_VARIABLE) or os.path.normpath(REPOSITORY / DEFAULT_DIRECTORY)
    return os.path.join(folder, runs + ".csv")


def _number(text: str) -> float | None:
    """A decimal number as Swift's ``Double(_:)`` reads one; None otherwise (no '_' separators, no spaces)."""
    if not text or "_" in text or text != text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_runs(text: str, source: str) -> RunsTable:
    """Parses the CSV text (``NB201Runs.parse``): every one of the 15,625 cells exactly once.

    Raises OptunaRunsError (malformed-table) naming `source` and the line.
    """
    lines = text.splitlines()
    if not lines:
        raise OptunaRunsError(
            OptunaRunsError.MALFORMED_TABLE, f"{source}: the file is empty (expected a header '{','.join(HEADER)}')"
        )
    header = [h.strip() for h in lines[0].split(",")]
    if not all(name in header for name in HEADER):
        raise OptunaRunsError(
            OptunaRunsError.MALFORMED_TABLE,
            f"{source}:1: the header must name the columns {', '.join(HEADER)}, got '{lines[0][:120]}'",
        )
    columns = [header.index(name) for name in HEADER]
    errors: list[list[float]] = [[] for _ in range(CELL_COUNT)]
    seconds = [math.nan] * CELL_COUNT
    latency_ms = [math.nan] * CELL_COUNT
    params = [math.nan] * CELL_COUNT
    first_line = [0] * CELL_COUNT
    for number, line in enumerate(lines[1:], start=2):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != len(header):
            raise OptunaRunsError(
                OptunaRunsError.MALFORMED_TABLE,
                f"{source}:{number}: expected {len(header)} fields, found {len(fields)} "
                f"(truncated or malformed row '{line[:120]}')",
            )
        try:
            ops = parse_arch(fields[columns[0]])
        except OptunaRunsError as error:
            raise OptunaRunsError(OptunaRunsError.MALFORMED_TABLE, f"{source}:{number}: {error.message}") from None
        raw = fields[columns[1]]
        runs = [_number(r.strip()) for r in raw.split(";") if r != ""]
        if not runs or len(runs) > 16 or not all(r is not None and math.isfinite(r) and 0 <= r <= 100 for r in runs):
            raise OptunaRunsError(
                OptunaRunsError.MALFORMED_TABLE,
                f"{source}:{number}: val_accuracy_runs '{raw[:80]}' is not 1–16 percentages in 0…100 "
                "separated by ';'",
            )
        for column, name in zip(columns[2:], HEADER[2:]):
            value = _number(fields[column])
            if value is None or not math.isfinite(value) or value < 0:
                raise OptunaRunsError(
                    OptunaRunsError.MALFORMED_TABLE,
                    f"{source}:{number}: {name} '{fields[column][:40]}' is not a number ≥ 0",
                )
        index = cell_index(ops)
        if first_line[index]:
            raise OptunaRunsError(
                OptunaRunsError.MALFORMED_TABLE,
                f"{source}:{number}: duplicate cell {format_arch(ops)} (first on line {first_line[index]})",
            )
        first_line[index] = number
        errors[index] = [100 - r for r in runs]  # type: ignore[operator]
        seconds[index] = float(fields[columns[2]])
        latency_ms[index] = float(fields[columns[3]]) * 1000
        params[index] = float(fields[columns[4]]) * 1e6
    missing = [i for i, line in enumerate(first_line) if line == 0]
    if missing:
        raise OptunaRunsError(
            OptunaRunsError.MALFORMED_TABLE,
            f"{source}: {len(missing)} of {CELL_COUNT} cells are missing (truncated file?), e.g. "
            f"{format_arch(cell_operations(missing[0]))}",
        )
    return RunsTable(
        source=source,
        errors=errors,
        seconds=seconds,
        mean=[swift_mean(e) for e in errors],
        measures={"params": params, "latency_ms": latency_ms},
    )


def load_runs(path: str) -> RunsTable:
    """Loads and validates the runs at `path`. Raises OptunaRunsError (file-unreadable, malformed-table)."""
    if not os.path.exists(path):
        raise OptunaRunsError(
            OptunaRunsError.FILE_UNREADABLE,
            f"NB201 runs '{path}' do not exist (give a path, or set {DIRECTORY_VARIABLE} to the folder "
            "holding cifar10-valid.csv)",
        )
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise OptunaRunsError(
            OptunaRunsError.FILE_UNREADABLE, f"cannot read NB201 runs '{path}': {error.strerror}"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise OptunaRunsError(OptunaRunsError.MALFORMED_TABLE, f"{path}: not UTF-8 text") from None
    return parse_runs(text, path)


# ---------------------------------------------------------------------------------------------------------
# One benchmark run: NoisyRunsBenchmark.run with an Optuna study in place of a strategy.


@dataclass
class Point:
    """One finished evaluation."""

    time: float
    gpu_seconds: float
    best_seen: float
    recommended_true_error: float
    hypervolume: float = 0.0  # with several objectives: the normalised hypervolume of the results so far


@dataclass
class Run:
    strategy: str
    seed: int
    workers: int
    points: list[Point]
    wasted_share: float
    retrains: int
    ask_seconds: list[float] = field(default_factory=list)
    infeasible: int = 0  # evaluations of cells that break the constraints (issue 30)


@dataclass(frozen=True)
class Limit:
    """One constraint, ``measure relation bound`` (``Constraint`` on the Swift side)."""

    measure: str
    relation: str  # <=, <, >=, >
    bound: float

    def holds(self, value: float) -> bool:
        if math.isnan(value):
            return False
        return {
            "<=": value <= self.bound,
            "<": value < self.bound,
            ">=": value >= self.bound,
            ">": value > self.bound,
        }[self.relation]

    def violation(self, value: float) -> float:
        """Optuna's constraint value: ≤ 0 exactly when the limit holds (a strict limit at its bound is broken)."""
        excess = value - self.bound if self.relation in ("<=", "<") else self.bound - value
        if self.relation in ("<", ">") and excess == 0:
            return 1e-9
        return excess

    def __str__(self) -> str:
        bound = str(int(self.bound)) if self.bound == int(self.bound) and abs(self.bound) < 1e15 else repr(self.bound)
        return f"{self.measure} {self.relation} {bound}"


def parse_limit(text: str, table: RunsTable) -> Limit:
    """``params<=0.5e6`` or ``params<=p25`` (a percentile of the measure over the space, taken as the Swift side
    takes it: ``sorted[min(n − 1, int(q / 100 · n))]``).

    Raises OptunaRunsError (bad-argument) saying what is wrong.
    """
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*(\S+)\s*", text)
    if not match:
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT, f"--constraint '{text}': write one like 'params<=0.5e6' or 'params<=p25'"
        )
    measure, relation, bound_text = match.groups()
    if measure not in table.measures:
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT,
            f"--constraint '{text}': the runs table knows {', '.join(sorted(table.measures))}, not '{measure}'",
        )
    if bound_text.startswith("p"):
        q = _number(bound_text[1:])
        if q is None or not 0 <= q <= 100:
            raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, f"--constraint '{text}': a percentile bound is p0 … p100")
        ordered = sorted(table.measures[measure])
        bound = ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]
    else:
        value = _number(bound_text)
        if value is None or not math.isfinite(value):
            raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, f"--constraint '{text}': '{bound_text}' is not a finite number")
        bound = value
    return Limit(measure, relation, bound)


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether `a` dominates `b` (minimised objectives): no worse anywhere, better somewhere."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def hypervolume(points: Sequence[Sequence[float]], reference: Sequence[float]) -> float:
    """``ParetoFront.hypervolume``: the volume `points` dominate below `reference` (a sweep in two objectives,
    slices along the last one above)."""
    inside = [list(p) for p in points if len(p) == len(reference) and all(x < r for x, r in zip(p, reference))]
    if not inside:
        return 0.0

    def volume(pts: list[list[float]], ref: Sequence[float]) -> float:
        d = len(ref)
        if d == 1:
            return ref[0] - min(p[0] for p in pts)
        if d == 2:
            total, floor = 0.0, ref[1]
            for p in sorted(pts):
                if p[1] < floor:
                    total += (ref[0] - p[0]) * (floor - p[1])
                    floor = p[1]
            return total
        ordered = sorted(pts, key=lambda p: p[d - 1])
        total = 0.0
        for k, p in enumerate(ordered):
            top = ordered[k + 1][d - 1] if k + 1 < len(ordered) else ref[d - 1]
            if top > p[d - 1]:
                total += volume([q[: d - 1] for q in ordered[: k + 1]], ref[: d - 1]) * (top - p[d - 1])
        return total

    return volume(inside, reference)


@dataclass(frozen=True)
class Objectives:
    """Objectives after the validation error, known before training, with the hypervolume's ideal and reference
    points (``BenchSearch.runsObjectives``: the error from the lowest single run to the space's median true
    error, each measure from its least to its greatest value)."""

    names: tuple[str, ...]
    ideal: tuple[float, ...]
    reference: tuple[float, ...]

    def values(self, table: RunsTable, index: int) -> list[float]:
        return [table.measures[name][index] for name in self.names]

    def normalised(self, points: Sequence[Sequence[float]]) -> float:
        box = 1.0
        for r, i in zip(self.reference, self.ideal):
            box *= r - i
        return hypervolume(points, self.reference) / box if box > 0 else 0.0


def parse_objectives(text: str, table: RunsTable) -> Objectives:
    """``val_error,latency_ms``. Raises OptunaRunsError (bad-argument) saying what is wrong."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if len(names) < 2 or names[0] != "val_error":
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT,
            "--objectives starts with val_error and names one more at least, e.g. val_error,latency_ms",
        )
    rest = names[1:]
    for name in rest:
        if name not in table.measures:
            raise OptunaRunsError(
                OptunaRunsError.BAD_ARGUMENT,
                f"--objectives: the runs table knows {', '.join(sorted(table.measures))}, not '{name}'",
            )
    if len(set(rest)) != len(rest):
        raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, "--objectives names a measure twice")
    ideal = [min(e for runs in table.errors for e in runs)] + [min(table.measures[n]) for n in rest]
    reference = [table.median_true_error] + [max(table.measures[n]) for n in rest]
    return Objectives(tuple(rest), tuple(ideal), tuple(reference))


def feasible(table: RunsTable, limits: Sequence[Limit], index: int) -> bool:
    return all(limit.holds(table.measures[limit.measure][index]) for limit in limits)


def recommend(history: Sequence[tuple[int, float]], rule: str) -> int:
    """The recommended cell index from the completed (cell index, error) pairs, in completion order.

    ``best-trial``: Optuna's ``study.best_trial`` (the lowest single value; ties to the first completed).
    ``cell-mean``: the cell with the lowest mean of its draws (ties to the first seen), as the project's
    ``StrategyHistory.bestSeenRecommendation``.
    """
    if not history:
        raise ValueError("no completed evaluation to recommend from")
    if rule == "best-trial":
        best = history[0]
        for item in history[1:]:
            if item[1] < best[1]:
                best = item
        return best[0]
    if rule == "cell-mean":
        sums: dict[int, list[float]] = {}
        for index, value in history:
            sums.setdefault(index, []).append(value)
        means = [(index, swift_mean(values)) for index, values in sums.items()]  # dicts keep first-seen order
        best_cell = means[0]
        for item in means[1:]:
            if item[1] < best_cell[1]:
                best_cell = item
        return best_cell[0]
    raise ValueError(f"unknown recommendation rule {rule!r}")


def _import_optuna() -> Any:
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # Optuna's advice for GPSampler, before torch is imported
    try:
        import optuna  # noqa: PLC0415 (lazy: the rest of the module needs only the standard library)
    except ImportError:
        raise OptunaRunsError(
            OptunaRunsError.UNAVAILABLE,
            "optuna is not installed: run through scripts/optuna-bench.sh (it sets up a virtual "
            "environment), or pip install 'optuna>=5,<6' scipy torch",
        ) from None
    major = int(optuna.__version__.split(".")[0])
    if major != 5:
        raise OptunaRunsError(
            OptunaRunsError.UNAVAILABLE,
            f"optuna {optuna.__version__} is installed; this benchmark pins Optuna 5 (pip install 'optuna>=5,<6')",
        )
    import warnings  # noqa: PLC0415

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def gp_unavailable_reason() -> str | None:
    """Why the GP sampler cannot run here (torch or scipy missing), or None."""
    import importlib.util  # noqa: PLC0415

    missing = [m for m in ("torch", "scipy") if importlib.util.find_spec(m) is None]
    return f"{' and '.join(missing)} not installed (GPSampler needs torch and scipy)" if missing else None


@dataclass(frozen=True)
class SamplerSpec:
    kind: str  # tpe, gp, random
    tpe_multivariate: bool = True
    tpe_constant_liar: bool = True
    recommendation: str = "best-trial"

    @property
    def label(self) -> str:
        name = f"optuna-{self.kind}"
        if self.recommendation != "best-trial":
            name += f"-{self.recommendation}"
        if self.kind == "tpe":
            if not self.tpe_multivariate:
                name += "-univariate"
            if not self.tpe_constant_liar:
                name += "-no-liar"
        return name

    def make(self, optuna: Any, seed: int, constrained: bool = False) -> Any:
        """The sampler; `constrained`: TPE, GP and NSGA-II learn the constraints, random ignores them. Optuna 5 reads
        them from the trial (``Trial.set_constraint``, set when it is asked); older versions from ``constraints_func``."""
        options: dict[str, Any] = {}
        if constrained and self.kind in ("tpe", "gp", "nsga2") and not has_set_constraint(optuna):
            options["constraints_func"] = constraint_values
        if self.kind == "tpe":
            if not self.tpe_multivariate:
                options["multivariate"] = False
            if not self.tpe_constant_liar:
                options["constant_liar"] = False
            return optuna.samplers.TPESampler(seed=seed, **options)
        if self.kind == "gp":
            return optuna.samplers.GPSampler(seed=seed, **options)
        if self.kind == "random":
            return optuna.samplers.RandomSampler(seed=seed)
        if self.kind == "nsga2":
            return optuna.samplers.NSGAIISampler(seed=seed, **options)
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT, f"unknown sampler '{self.kind}' (known: {', '.join(SAMPLERS)})"
        )


def has_set_constraint(optuna: Any) -> bool:
    """Whether this Optuna takes constraints on the trial (5.0 and later; ``constraints_func`` is deprecated there)."""
    return hasattr(optuna.trial.Trial, "set_constraint")


def constraint_values(trial: Any) -> Sequence[float]:
    """Optuna's constraints_func: the violations stored on the trial when it was asked (≤ 0: feasible)."""
    return trial.user_attrs["constraint"]


def optuna_seed(seed: int) -> int:
    """Optuna seeds numpy's RandomState, which takes 0..2**32−1: larger benchmark seeds are folded in."""
    return seed if seed < 2**32 else draw_hash(seed, 0, 0) % 2**32


def simulate(
    draw: Callable[[int, int, int], tuple[float, float]],
    true_error: Callable[[int], float],
    ask: Callable[[], tuple[Any, tuple[int, ...]]],
    tell: Callable[[Any, float], None],
    seed: int,
    budget: int,
    workers: int,
    median: float,
    recommendation: str = "best-trial",
    strategy: str = "",
    is_feasible: Callable[[int], bool] | None = None,
    objectives: Callable[[int], list[float]] | None = None,
    normalised: Callable[[Sequence[Sequence[float]]], float] | None = None,
) -> Run:
    """NoisyRunsBenchmark.run with `ask` (a handle and the cell's operations) and `tell` (the handle and the
    drawn error) in place of a strategy's propose and observe, until `budget` evaluations have finished.
    `draw(index, seed, attempt)` gives an evaluation's (error, seconds) (``RunsTable.draw``), `true_error(index)`
    a cell's true mean error, `median` the space's median of those. With `is_feasible`, only feasible cells count
    towards the best seen and the recommendation, and the infeasible ones trained are counted. With `objectives`
    (a cell's values after the error), `tell` gets every objective and the points record `normalised`, the
    hypervolume of the feasible results so far."""
    results: list[list[float]] = []
    trained: dict[int, int] = {}  # attempts so far, running ones included
    running: list[tuple[float, int, Any, int, float, float]] = []  # end, worker, handle, cell, error, seconds
    free = list(range(workers))
    points: list[Point] = []
    history: list[tuple[int, float]] = []
    asks: list[float] = []
    clock = gpu = wasted = 0.0
    best = math.inf
    started = retrains = infeasible = 0
    while len(points) < budget:
        wanted = min(len(free), budget - started)
        for _ in range(wanted):
            tick = time.perf_counter()
            handle, ops = ask()
            asks.append(time.perf_counter() - tick)
            index = cell_index(ops)
            attempt = trained.get(index, 0)
            if attempt > 0:
                retrains += 1
            trained[index] = attempt + 1
            error, seconds = draw(index, seed, attempt)
            worker = free.pop(0)
            running.append((clock + seconds, worker, handle, index, error, seconds))
            started += 1
        if not running:
            break
        next_done = min(range(len(running)), key=lambda i: (running[i][0], running[i][1]))
        end, worker, handle, index, error, seconds = running.pop(next_done)
        clock = end
        gpu += seconds
        if true_error(index) > median:
            wasted += seconds
        tell(handle, [error] + objectives(index) if objectives else error)
        if is_feasible is None or is_feasible(index):
            best = min(best, error)
            history.append((index, error))
            if objectives:
                results.append([error] + objectives(index))
        else:
            infeasible += 1
        # Before any feasible result: the cell just trained (its true error; the best seen is still inf).
        recommended = recommend(history, recommendation) if history else index
        points.append(
            Point(
                time=clock,
                gpu_seconds=gpu,
                best_seen=best,
                recommended_true_error=true_error(recommended),
                hypervolume=normalised(results) if objectives and normalised else 0.0,
            )
        )
        free.append(worker)
        free.sort()
    return Run(
        strategy=strategy,
        seed=seed,
        workers=workers,
        points=points,
        wasted_share=wasted / gpu if gpu > 0 else 0.0,
        retrains=retrains,
        ask_seconds=asks,
        infeasible=infeasible,
    )


def run_one(
    table: RunsTable,
    spec: SamplerSpec,
    seed: int,
    budget: int,
    workers: int,
    median: float,
    limits: Sequence[Limit] = (),
    objectives: Objectives | None = None,
) -> Run:
    """One sampler on one seed: an Optuna study asked for a trial whenever a worker is free, the trial left
    RUNNING until its evaluation finishes on the simulated clock, then told the drawn error. With `limits`,
    the trial carries its constraint values from the start (known before training), for the samplers that
    take them."""
    optuna = _import_optuna()
    sampler = spec.make(optuna, optuna_seed(seed), bool(limits))
    if objectives:
        study = optuna.create_study(directions=["minimize"] * (1 + len(objectives.names)), sampler=sampler)
    else:
        study = optuna.create_study(direction="minimize", sampler=sampler)

    def ask() -> tuple[Any, tuple[int, ...]]:
        trial = study.ask()
        ops = tuple(OPERATIONS.index(trial.suggest_categorical(name, OPERATIONS)) for name in PARAMETERS)
        if limits:
            index = cell_index(ops)
            violations = [limit.violation(table.measures[limit.measure][index]) for limit in limits]
            if has_set_constraint(optuna):
                for k, v in enumerate(violations):
                    trial.set_constraint(f"c{k}", v)
            else:
                trial.set_user_attr("constraint", violations)
        return trial, ops

    return simulate(
        table.draw,
        table.mean.__getitem__,
        ask,
        lambda trial, error: study.tell(trial, error),
        seed,
        budget,
        workers,
        median,
        spec.recommendation,
        spec.label,
        (lambda index: feasible(table, limits, index)) if limits else None,
        (lambda index: objectives.values(table, index)) if objectives else None,
        objectives.normalised if objectives else None,
    )


# ---------------------------------------------------------------------------------------------------------
# Checkpoints (one CSV row each) and the tables of NoisyRunsReport.

CSV_FIELDS: tuple[str, ...] = (
    "strategy",
    "seed",
    "workers",
    "axis",
    "checkpoint",
    "reached",
    "evaluations",
    "best_seen",
    "recommended_true_error",
    "gpu_seconds",
    "wall_seconds",
    "wasted_share",
    "retrains",
    "runs_file",
    "optuna_version",
)


@dataclass
class Checkpoint:
    strategy: str
    seed: int
    workers: int
    axis: str  # evaluations, gpu_seconds, wall_seconds
    checkpoint: float
    point: Point | None  # None: the run had not got that far
    evaluations: int
    wasted_share: float
    retrains: int


def checkpoints(run: Run) -> list[Checkpoint]:
    """The run at every checkpoint of the report: by evaluations (point n − 1), by GPU seconds and, for W > 1
    workers, by wall-clock seconds (the GPU checkpoints / W): the last point at or before the limit, none
    when the run ended before reaching it (``NoisyRunsReport.values``)."""
    out: list[Checkpoint] = []

    def add(axis: str, limit: float, point: Point | None, evaluations: int) -> None:
        out.append(
            Checkpoint(
                run.strategy, run.seed, run.workers, axis, limit, point, evaluations, run.wasted_share, run.retrains
            )
        )

    for n in EVALUATION_CHECKPOINTS:
        reached = len(run.points) >= n
        add("evaluations", n, run.points[n - 1] if reached else None, n if reached else 0)
    axes: list[tuple[str, list[float], Callable[[Point], float]]] = [
        ("gpu_seconds", list(GPU_CHECKPOINTS), lambda p: p.gpu_seconds)
    ]
    if run.workers > 1:
        axes.append(("wall_seconds", [g / run.workers for g in GPU_CHECKPOINTS], lambda p: p.time))
    for axis, limits, key in axes:
        for limit in limits:
            point, evaluations = None, 0
            if run.points and key(run.points[-1]) >= limit:
                for i, p in enumerate(run.points):
                    if key(p) <= limit:
                        point, evaluations = p, i + 1
            add(axis, limit, point, evaluations)
    return out


def mean_se(values: Sequence[float]) -> tuple[float, float] | None:
    """Mean and standard error (``NoisyRunsReport.meanSE``); None for no values."""
    if not values:
        return None
    mean = swift_mean(values)
    if len(values) == 1:
        return mean, 0.0
    squares = 0.0
    for v in values:
        squares += (v - mean) * (v - mean)
    variance = squares / (len(values) - 1)
    return mean, math.sqrt(variance / len(values))


def cell_text(values: Sequence[float] | None) -> str:
    stats = mean_se(values) if values is not None else None
    return "—" if stats is None else "%.3f ± %.3f" % stats


def seconds_text(value: float) -> str:
    """100000 → "1e5", 300000 → "3e5", 12345.6 → "1.2e4" (``NoisyRunsReport.seconds``)."""
    if value <= 0:
        return "0"
    exponent = math.floor(math.log10(value))
    mantissa = value / 10.0**exponent
    rounded = math.floor(mantissa + 0.5)  # Swift's .rounded(): half away from zero
    text = str(int(rounded)) if abs(mantissa - rounded) < 0.05 else "%.1f" % mantissa
    return f"{text}e{exponent}"


def markdown(rows: Sequence[Checkpoint]) -> str:
    """NoisyRunsReport.markdown over the checkpoints of one worker count's runs."""
    strategies: list[str] = []
    for r in rows:
        if r.strategy not in strategies:
            strategies.append(r.strategy)

    def column(name: str, axis: str, limit: float, metric: Callable[[Point], float]) -> list[float] | None:
        mine = [r for r in rows if r.strategy == name and r.axis == axis and r.checkpoint == limit]
        if not mine or any(r.point is None for r in mine):
            return None
        return [metric(r.point) for r in mine if r.point is not None]

    def per_run(name: str) -> list[Checkpoint]:
        return [
            r
            for r in rows
            if r.strategy == name and r.axis == "evaluations" and r.checkpoint == EVALUATION_CHECKPOINTS[0]
        ]

    best: Callable[[Point], float] = lambda p: p.best_seen
    honest: Callable[[Point], float] = lambda p: p.recommended_true_error
    evaluations = EVALUATION_CHECKPOINTS
    lines = [
        "Best validation error seen (the paper's metric) | true mean error of the recommended cell "
        "(the honest metric), after N evaluations:\n",
        "| strategy | "
        + " | ".join(f"best seen @{n}" for n in evaluations)
        + " | "
        + " | ".join(f"recommended @{n}" for n in evaluations)
        + " | GPU-s on worse-than-median cells | retrains |",
        "|---|" + "---|" * (2 * len(evaluations) + 2),
    ]
    for name in strategies:
        row = f"| {name} | "
        row += " | ".join(cell_text(column(name, "evaluations", n, best)) for n in evaluations) + " | "
        row += " | ".join(cell_text(column(name, "evaluations", n, honest)) for n in evaluations)
        runs = per_run(name)
        waste = mean_se([r.wasted_share for r in runs])
        waste_text = "—" if waste is None else "%.0f %%" % (100 * waste[0])
        retrains = sum(r.retrains for r in runs) / max(len(runs), 1)
        lines.append(row + f" | {waste_text} | {'%.1f' % retrains} |")
    gpu = GPU_CHECKPOINTS
    n = evaluations[-2]
    lines.append("\nThe same at simulated GPU-seconds (Figure 3's axis):\n")
    lines.append(
        "| strategy | "
        + " | ".join(f"best seen @{seconds_text(g)}" for g in gpu)
        + " | "
        + " | ".join(f"recommended @{seconds_text(g)}" for g in gpu)
        + f" | GPU-s for {n} evaluations |"
    )
    lines.append("|---|" + "---|" * (2 * len(gpu) + 1))
    for name in strategies:
        row = f"| {name} | "
        row += " | ".join(cell_text(column(name, "gpu_seconds", g, best)) for g in gpu) + " | "
        row += " | ".join(cell_text(column(name, "gpu_seconds", g, honest)) for g in gpu)
        spent = column(name, "evaluations", n, lambda p: p.gpu_seconds)
        stats = mean_se(spent) if spent is not None else None
        lines.append(row + " | " + ("—" if stats is None else seconds_text(stats[0])) + " |")
    workers = rows[0].workers if rows else 1
    if workers > 1:
        wall = [g / workers for g in gpu]
        lines.append(
            f"\nWith {workers} asynchronous workers, at simulated wall-clock seconds "
            f"(the GPU checkpoints / {workers}):\n"
        )
        lines.append(
            "| strategy | "
            + " | ".join(f"best seen @{seconds_text(w)} s" for w in wall)
            + " | "
            + " | ".join(f"recommended @{seconds_text(w)} s" for w in wall)
            + " |"
        )
        lines.append("|---|" + "---|" * (2 * len(wall)))
        for name in strategies:
            row = f"| {name} | "
            row += " | ".join(cell_text(column(name, "wall_seconds", w, best)) for w in wall) + " | "
            row += " | ".join(cell_text(column(name, "wall_seconds", w, honest)) for w in wall)
            lines.append(row + " |")
    return "\n".join(lines)


def _float_text(value: float) -> str:
    return repr(value)  # shortest round-trip text: the tables come out the same from the CSV


def write_csv(path: str, rows: Sequence[Checkpoint], runs_file: str, version: str) -> None:
    try:
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(CSV_FIELDS)
            for r in rows:
                p = r.point
                writer.writerow(
                    [
                        r.strategy,
                        r.seed,
                        r.workers,
                        r.axis,
                        _float_text(float(r.checkpoint)),
                        int(p is not None),
                        r.evaluations,
                        _float_text(p.best_seen) if p else "",
                        _float_text(p.recommended_true_error) if p else "",
                        _float_text(p.gpu_seconds) if p else "",
                        _float_text(p.time) if p else "",
                        _float_text(r.wasted_share),
                        r.retrains,
                        runs_file,
                        version,
                    ]
                )
    except OSError as error:
        raise OptunaRunsError(OptunaRunsError.FILE_UNREADABLE, f"cannot write '{path}': {error.strerror}") from None


def read_csv(path: str) -> list[Checkpoint]:
    """The checkpoints of a --per-run-csv file. Raises OptunaRunsError naming the file and line."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or tuple(header[: len(CSV_FIELDS)]) != CSV_FIELDS:
                raise OptunaRunsError(
                    OptunaRunsError.MALFORMED_TABLE,
                    f"{path}:1: expected the header {','.join(CSV_FIELDS)} (a --per-run-csv file)",
                )
            out = []
            for row in reader:
                line = reader.line_num
                try:
                    if len(row) != len(CSV_FIELDS):
                        raise ValueError(f"expected {len(CSV_FIELDS)} fields, found {len(row)}")
                    v = dict(zip(CSV_FIELDS, row))
                    if v["axis"] not in ("evaluations", "gpu_seconds", "wall_seconds"):
                        raise ValueError(f"unknown axis '{v['axis']}'")
                    point = None
                    if v["reached"] == "1":
                        point = Point(
                            time=float(v["wall_seconds"]),
                            gpu_seconds=float(v["gpu_seconds"]),
                            best_seen=float(v["best_seen"]),
                            recommended_true_error=float(v["recommended_true_error"]),
                        )
                    elif v["reached"] != "0":
                        raise ValueError(f"reached must be 0 or 1, got '{v['reached']}'")
                    checkpoint = float(v["checkpoint"])
                    out.append(
                        Checkpoint(
                            v["strategy"],
                            int(v["seed"]),
                            int(v["workers"]),
                            v["axis"],
                            int(checkpoint) if v["axis"] == "evaluations" else checkpoint,
                            point,
                            int(v["evaluations"]),
                            float(v["wasted_share"]),
                            int(v["retrains"]),
                        )
                    )
                except ValueError as error:
                    raise OptunaRunsError(OptunaRunsError.MALFORMED_TABLE, f"{path}:{line}: {error}") from None
            return out
    except OSError as error:
        raise OptunaRunsError(OptunaRunsError.FILE_UNREADABLE, f"cannot read '{path}': {error.strerror}") from None


def tables(rows: Sequence[Checkpoint]) -> str:
    """One section of tables per worker count, as ``anasod bench --runs`` prints them."""
    sections = []
    for workers in sorted({r.workers for r in rows}):
        mine = [r for r in rows if r.workers == workers]
        sections.append(f"### {workers} worker{'' if workers == 1 else 's'}\n\n{markdown(mine)}")
    return "\n\n".join(sections)


# ---------------------------------------------------------------------------------------------------------
# Command line.


def hypervolume_table(runs: Sequence[Run]) -> str:
    """The hypervolume after 50/100/150 evaluations, mean ± SE per sampler (``NoisyRunsReport``'s table)."""
    lines = ["\n| sampler | hypervolume @50 | hypervolume @100 | hypervolume @150 | hypervolume @300 |", "|---|---|---|---|---|"]
    names: list[str] = []
    for run in runs:
        if run.strategy not in names:
            names.append(run.strategy)
    for name in names:
        mine = [run for run in runs if run.strategy == name]
        cells = []
        for n in (50, 100, 150, 300):
            values = [run.points[n - 1].hypervolume for run in mine] if all(len(r.points) >= n for r in mine) else []
            cells.append(cell_text(values) if values else "—")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _positive_list(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT, f"{what} '{text}' is not a comma-separated list of integers"
        ) from None
    if not values or any(v < 1 for v in values):
        raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, f"{what} '{text}' must be integers ≥ 1")
    return values


def _run_task(task: tuple[RunsTable, SamplerSpec, int, int, int, float, Sequence[Limit], Objectives | None]) -> Run:
    return run_one(*task)


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="See the module docstring (scripts/optuna_runs.py) for the setting.",
    )
    parser.add_argument("--runs", help="NB201 per-seed runs: cifar10-valid, cifar100, or a CSV path")
    parser.add_argument(
        "--runs-dir",
        help=f"folder of the runs CSV files (default: ${DIRECTORY_VARIABLE}, else "
        f"{DEFAULT_DIRECTORY} from the repository root)",
    )
    parser.add_argument("--samplers", default="tpe,gp,random", help="comma-separated: tpe, gp, random (default: all)")
    parser.add_argument("--seeds", type=int, default=20, help="seeds per sampler (first-seed … first-seed + N − 1)")
    parser.add_argument("--first-seed", type=int, default=0, help="the first seed (tune on 100…, report on 0…)")
    parser.add_argument("--budget", type=int, default=150, help="evaluations per run")
    parser.add_argument(
        "--workers", default="1", help="asynchronous workers on the simulated clock (comma-separated: 1,8)"
    )
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel processes (default 1)")
    parser.add_argument(
        "--objectives",
        metavar="val_error,MEASURE",
        help="several objectives (val_error and params or latency_ms): a multi-objective study; the tables give "
        "hypervolumes (samplers: nsga2, tpe, random)",
    )
    parser.add_argument(
        "--constraint",
        action="append",
        default=[],
        metavar="MEASURE<=BOUND",
        help="a limit known before training: params or latency_ms, the bound a number or pNN (a percentile over the "
        "space), e.g. params<=p25; TPE and GP learn it (constraints_func), random ignores it; repeat for several",
    )
    parser.add_argument(
        "--recommendation",
        choices=("best-trial", "cell-mean"),
        default="best-trial",
        help="the recommended cell: Optuna's best trial's (default), or the lowest mean over a cell's draws",
    )
    parser.add_argument(
        "--tpe-univariate",
        action="store_true",
        help="TPESampler(multivariate=False) (default: Optuna 5's multivariate)",
    )
    parser.add_argument(
        "--tpe-no-constant-liar", action="store_true", help="TPESampler(constant_liar=False) (default: True)"
    )
    parser.add_argument("--per-run-csv", metavar="FILE", help="write one row per run and checkpoint to FILE")
    parser.add_argument(
        "--csv",
        metavar="FILE",
        help="write every run's every point to FILE, as anasod bench --runs --csv does "
        "(anasod report --bench-curves plots it)",
    )
    parser.add_argument(
        "--tables-from", nargs="+", metavar="FILE", help="print the tables of --per-run-csv files and exit"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_arguments(sys.argv[1:] if argv is None else argv)
    if args.tables_from:
        rows = [r for path in args.tables_from for r in read_csv(path)]
        print(tables(rows))
        return 0
    if not args.runs:
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT, "--runs is required (cifar10-valid, cifar100, or a CSV path)"
        )
    if args.seeds < 1 or args.budget < 1 or args.jobs < 1:
        raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, "--seeds, --budget and --jobs must be ≥ 1")
    if not 0 <= args.first_seed or args.first_seed + args.seeds - 1 > MASK:
        raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, "seeds must lie in 0 … 2**64 − 1 (the Swift side's UInt64)")
    workers = _positive_list(args.workers, "--workers")
    kinds = [s.strip() for s in args.samplers.split(",") if s.strip()]
    unknown = [k for k in kinds if k not in SAMPLERS]
    if not kinds or unknown:
        raise OptunaRunsError(
            OptunaRunsError.BAD_ARGUMENT,
            f"unknown sampler(s) {', '.join(unknown) or '(none given)'} (known: {', '.join(SAMPLERS)})",
        )
    notes = []
    if "gp" in kinds and (reason := os.environ.get("OPTUNA_RUNS_WITHOUT_GP") or gp_unavailable_reason()):
        if not os.environ.get("OPTUNA_RUNS_WITHOUT_GP"):
            raise OptunaRunsError(OptunaRunsError.UNAVAILABLE, f"the GP sampler cannot run: {reason}")
        kinds = [k for k in kinds if k != "gp"]
        notes.append(f"**The GP sampler is left out: {reason}.**")
        print(f"optuna_runs: THE GP SAMPLER IS LEFT OUT: {reason}", file=sys.stderr)
        if not kinds:
            raise OptunaRunsError(OptunaRunsError.UNAVAILABLE, "no sampler left to run")
    path = resolve(args.runs, args.runs_dir)
    table = load_runs(path)  # bad input is reported before a missing Optuna
    optuna = _import_optuna()
    specs = [
        SamplerSpec(
            k,
            tpe_multivariate=not args.tpe_univariate,
            tpe_constant_liar=not args.tpe_no_constant_liar,
            recommendation=args.recommendation,
        )
        for k in kinds
    ]
    limits = [parse_limit(text, table) for text in args.constraint]
    several = parse_objectives(args.objectives, table) if args.objectives else None
    median = table.median_true_error
    ordered = sorted(table.mean)
    lowest = min(e for runs in table.errors for e in runs)
    last_seed = args.first_seed + args.seeds - 1
    print(
        f"Optuna {optuna.__version__} samplers on NB201 runs: {path}; seeds {args.first_seed}…{last_seed}, "
        f"{args.budget} evaluations a run, {args.jobs} parallel run{'' if args.jobs == 1 else 's'}; "
        f"optimum of the mean validation error {'%.3f' % ordered[0]}, lowest single run {'%.3f' % lowest}; "
        "recommended cell: "
        + ("the best trial" if args.recommendation == "best-trial" else "the lowest mean over its draws")
    )
    if limits:
        allowed = [i for i in range(CELL_COUNT) if feasible(table, limits, i)]
        if not allowed:
            raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, f"the constraints leave no cell of {CELL_COUNT} feasible")
        print(
            f"Constraints {', '.join(map(str, limits))}: {len(allowed)} of {CELL_COUNT} cells feasible; optimum of the "
            f"mean validation error among them {'%.3f' % min(table.mean[i] for i in allowed)}; best seen counts "
            "feasible cells only"
        )
    if several:
        print(
            f"Objectives val_error, {', '.join(several.names)}; hypervolume between the ideal point "
            f"({', '.join('%g' % v for v in several.ideal)}) and the reference point "
            f"({', '.join('%g' % v for v in several.reference)}), normalised to that box"
        )
    for note in notes:
        print(note)
    started = time.time()
    all_rows: list[Checkpoint] = []
    all_runs: list[Run] = []
    timing: dict[str, list[list[float]]] = {}
    for count in workers:
        tasks = [
            (table, spec, seed, args.budget, count, median, limits, several)
            for spec in specs
            for seed in range(args.first_seed, last_seed + 1)
        ]
        if args.jobs > 1:
            import multiprocessing  # noqa: PLC0415

            with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
                results = pool.map(_run_task, tasks, chunksize=1)
        else:
            results = [_run_task(t) for t in tasks]
        rows = [c for run in results for c in checkpoints(run)]
        all_rows.extend(rows)
        all_runs.extend(results)
        for run in results:
            timing.setdefault(run.strategy, []).append(run.ask_seconds)
        print(f"\n### {count} worker{'' if count == 1 else 's'}\n")
        print(markdown(rows))
        if several:
            print(hypervolume_table(results))
        if limits:
            print("\n| sampler | infeasible cells trained (mean per run) |\n|---|---|")
            for spec in specs:
                mine = [run.infeasible for run in results if run.strategy == spec.label]
                print(f"| {spec.label} | {sum(mine) / max(len(mine), 1):.1f} |")
    print(
        "\nSampler time per trial (study.ask + the suggestions; not on the simulated clock), mean over runs: "
        + "; ".join(
            f"{name} {_ms(asks, None)} overall, {_ms(asks, 10)} over the last 10" for name, asks in timing.items()
        )
    )
    print("\nWall time: %.1f s" % (time.time() - started))
    if args.per_run_csv:
        write_csv(args.per_run_csv, all_rows, path, optuna.__version__)
        print(f"Per-run checkpoints written to {args.per_run_csv}")
    if args.csv:
        write_points_csv(args.csv, all_runs)
        print(f"Curves written to {args.csv} (plot them with anasod report --bench-curves {args.csv})")
    return 0


POINTS_CSV_HEADER = "strategy,seed,workers,evaluation,time,gpu_seconds,best_seen,recommended_true_error"


def write_points_csv(path: str, runs: Sequence[Run]) -> None:
    """Every run's every point, one row per finished evaluation: NoisyRunsReport.csv's columns (the Swift
    side prints floats with the shortest round-trip form, as repr does)."""
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(POINTS_CSV_HEADER + "\n")
            for run in runs:
                name = f'"{run.strategy}"' if "," in run.strategy else run.strategy
                for i, p in enumerate(run.points):
                    f.write(
                        f"{name},{run.seed},{run.workers},{i + 1},{p.time!r},{p.gpu_seconds!r},"
                        f"{p.best_seen!r},{p.recommended_true_error!r}\n"
                    )
    except OSError as error:
        raise OptunaRunsError(OptunaRunsError.BAD_ARGUMENT, f"cannot write '{path}': {error.strerror}") from error


def _ms(asks: list[list[float]], last: int | None) -> str:
    values = [s for run in asks for s in (run[-last:] if last else run)]
    return "%.1f ms" % (1000 * swift_mean(values)) if values else "—"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OptunaRunsError as error:
        print(f"optuna_runs: error: {error.message}", file=sys.stderr)
        sys.exit(2 if error.code == OptunaRunsError.BAD_ARGUMENT else 1)
    except KeyboardInterrupt:
        sys.exit(130)
