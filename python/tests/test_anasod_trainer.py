"""Tests of anasod_trainer (standard library only; a few seconds).

    cd python && python3 -m unittest discover -s tests        (or: python3 python/tests/test_anasod_trainer.py)

In-process tests check the job's parsing and the lines; small trainer scripts run as subprocesses (with
PYTHONPATH set to this package's folder) check exit statuses, SIGTERM and what reaches standard output.
"""

import contextlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from typing import Any, Callable, Dict, List, Optional, Tuple
from unittest import mock

PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PACKAGE_ROOT)

import anasod_trainer  # noqa: E402
from anasod_trainer import Failure, Job, JobError, Slot, Stopped  # noqa: E402

NB201_OPS = ["nor_conv_3x3", "none", "skip_connect", "avg_pool_3x3", "nor_conv_1x1", "skip_connect"]
NB201_ARCH = ("|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|nor_conv_1x1~1|skip_connect~2|")
CHAIN_OPS = ["dense_relu", "identity", "dense_tanh", "residual", "bottleneck", "identity", "dense_relu", "residual"]
CHAIN_DEFINITION = {"name": "chain8", "operations": ["identity", "dense_relu", "dense_tanh", "residual", "bottleneck"],
                    "slots": 8, "cell_types": ["cell"], "wiring": "chain"}


def nb201_job(**changes: Any) -> Dict[str, Any]:
    """A job as the worker writes it for an NB201 study."""
    document: Dict[str, Any] = {
        "protocol": 1, "study": "s", "job": 7, "attempt": 1, "space": "nb201", "architecture": NB201_ARCH,
        "operations": NB201_OPS, "encoding": [[0.1, 0.9]], "seed": 18446744073709551557, "dataset": "fashion-mnist",
        "channels": 16, "cells": 5, "epochs": 3, "batch_size": 128, "learning_rate": 0.05, "train_limit": 2000,
        "validation_size": 1000, "test_limit": None, "augment": False, "cutout": None, "auxiliary_weight": None,
        "drop_path": None, "amp": True, "settings": {"dataset": "fashion-mnist", "seconds": "60", "amp": "false"},
        "work_dir": "/tmp/w", "device": "0", "deadline": 1700000000.5}
    document.update(changes)
    return document


def chain_job(**changes: Any) -> Dict[str, Any]:
    """A chain8 job with the `slots` and `space_definition` keys."""
    document = nb201_job(space="chain8", architecture="|" + "|".join(CHAIN_OPS) + "|", operations=None,
                         slots={"cell": [{"op": op, "source": i, "target": i + 1} for i, op in enumerate(CHAIN_OPS)]},
                         space_definition=CHAIN_DEFINITION)
    document.update(changes)
    return document


def lines(buffer: io.StringIO) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def make(document: Dict[str, Any]) -> Tuple[Job, io.StringIO]:
    out = io.StringIO()
    return Job(document, stdout=out), out


class ParsingTests(unittest.TestCase):
    def test_nb201_operations_become_the_cells_edges(self) -> None:
        job, _ = make(nb201_job())
        self.assertEqual(job.space, "nb201")
        self.assertEqual(job.architecture, NB201_ARCH)
        self.assertEqual(list(job.slots), ["cell"])
        self.assertEqual(job.slots["cell"][0], Slot("nor_conv_3x3", 0, 1))
        self.assertEqual([(s.source, s.target) for s in job.slots["cell"]], [(0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3)])
        self.assertEqual(job.ops(), NB201_OPS)
        self.assertEqual(job.ops("cell"), NB201_OPS)

    def test_nb201_arch_string_without_operations(self) -> None:
        job, _ = make(nb201_job(operations=None))
        self.assertEqual(job.ops(), NB201_OPS)
        self.assertEqual(job.slots["cell"][2], Slot("skip_connect", 1, 2))

    def test_darts_genotype_targets_are_nodes_two_onwards(self) -> None:
        normal = [["sep_conv_3x3", 0], ["sep_conv_3x3", 1], ["skip_connect", 0], ["sep_conv_3x3", 2],
                  ["skip_connect", 0], ["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["skip_connect", 2]]
        reduce = [["max_pool_3x3", 0], ["max_pool_3x3", 1], ["skip_connect", 2], ["max_pool_3x3", 1],
                  ["max_pool_3x3", 0], ["skip_connect", 2], ["skip_connect", 2], ["avg_pool_3x3", 0]]
        job, _ = make(nb201_job(space="darts", architecture="normal=...;reduce=...", operations=None,
                                genotype={"normal": normal, "reduce": reduce}))
        self.assertEqual(job.cell_types, ["normal", "reduce"])
        self.assertEqual([s.target for s in job.slots["normal"]], [2, 2, 3, 3, 4, 4, 5, 5])
        self.assertEqual(job.slots["reduce"][3], Slot("max_pool_3x3", 1, 3))
        self.assertEqual(job.ops("normal")[3], "sep_conv_3x3")
        with self.assertRaises(ValueError):
            job.ops()  # two cell types: name one
        with self.assertRaises(ValueError):
            job.ops("other")

    def test_darts_arch_string_without_genotype(self) -> None:
        text = "normal=" + "+".join(f"|sep_conv_3x3~{i}|skip_connect~{i + 1}|" for i in range(4)) \
            + ";reduce=" + "+".join(f"|max_pool_3x3~0|avg_pool_3x3~{i + 1}|" for i in range(4))
        job, _ = make(nb201_job(space="darts", architecture=text, operations=None))
        self.assertEqual(job.slots["normal"][7], Slot("skip_connect", 4, 5))
        self.assertEqual(job.slots["reduce"][0], Slot("max_pool_3x3", 0, 2))

    def test_the_slots_key_wins_and_carries_any_wiring(self) -> None:
        job, _ = make(chain_job())
        self.assertEqual(job.ops(), CHAIN_OPS)
        self.assertEqual(job.slots["cell"][4], Slot("bottleneck", 4, 5))
        self.assertEqual(job.definition, CHAIN_DEFINITION)
        odd = chain_job(operations=NB201_OPS, slots={"a": [{"op": "x", "source": None, "target": 3}], "b": []})
        job, _ = make(odd)
        self.assertEqual(job.slots, {"a": [Slot("x", None, 3)], "b": []})

    def test_cell_types_follow_the_definition(self) -> None:
        definition = dict(CHAIN_DEFINITION, cell_types=["normal", "reduce"])
        slots = {"reduce": [{"op": "r", "source": 0, "target": 2}], "normal": [{"op": "n", "source": 1, "target": 2}]}
        job, _ = make(chain_job(slots=slots, space_definition=definition))
        self.assertEqual(job.cell_types, ["normal", "reduce"])
        job, _ = make(chain_job(slots=slots))
        self.assertEqual(job.cell_types, ["reduce", "normal"])  # no such types in the definition: the job's order

    def test_plain_arch_strings_are_chains_only_where_the_definition_says_so(self) -> None:
        job, _ = make(chain_job(slots=None))
        self.assertEqual(job.slots["cell"][7], Slot("residual", 7, 8))
        job, _ = make(chain_job(slots=None, space_definition=None))
        self.assertEqual(job.slots["cell"][7], Slot("residual", None, None))

    def test_typed_settings(self) -> None:
        job, _ = make(nb201_job())
        self.assertEqual(job.seed, 18446744073709551557)  # beyond 2**53: an integer, not a float
        self.assertIsInstance(job.seed, int)
        self.assertEqual((job.channels, job.cells, job.epochs, job.batch_size), (16, 5, 3, 128))
        self.assertEqual((job.train_limit, job.validation_size, job.test_limit), (2000, 1000, None))
        self.assertEqual(job.learning_rate, 0.05)
        self.assertIsNone(job.cutout)
        self.assertIs(job.amp, True)
        self.assertEqual((job.study, job.job_id, job.attempt, job.dataset), ("s", 7, 1, "fashion-mnist"))
        self.assertEqual((job.work_dir, job.device, job.deadline), ("/tmp/w", "0", 1700000000.5))
        self.assertEqual(job.encoding, [[0.1, 0.9]])
        self.assertIsNone(job.definition)
        self.assertEqual(job.settings["seconds"], "60")
        self.assertEqual(job.setting("seconds", 0), 60)
        self.assertEqual(job.setting("seconds", type=float), 60.0)
        self.assertIs(job.setting("amp", True), False)
        self.assertEqual(job.setting("dataset"), "fashion-mnist")
        self.assertEqual(job.setting("missing", 5), 5)
        self.assertIsNone(job.setting("missing"))
        with self.assertRaises(JobError):
            job.setting("dataset", 1)  # not an integer
        self.assertEqual(job.get("augment"), False)
        self.assertEqual(job.get("cutout", 16), 16)

    def test_defaults_fill_nulls_and_overrides_win(self) -> None:
        job = Job({"architecture": "|a|b|", "epochs": None, "channels": 8},
                  defaults={"space": "chain2", "epochs": 4, "channels": 64, "seed": 3}, overrides={"channels": 32},
                  stdout=io.StringIO())
        self.assertEqual((job.space, job.epochs, job.channels, job.seed), ("chain2", 4, 32, 3))
        self.assertEqual(Job({"space": "x", "architecture": "|a|"}, stdout=io.StringIO()).seed, 0)

    def test_bad_jobs(self) -> None:
        bad = [
            ["not", "an", "object"],
            nb201_job(protocol=2),
            nb201_job(protocol=True),
            nb201_job(architecture=None),
            nb201_job(space=""),
            nb201_job(data_dir="/etc"),
            nb201_job(epochs="three"),
            nb201_job(epochs=2.5),
            nb201_job(seed=-1),
            nb201_job(learning_rate="fast"),
            nb201_job(amp="maybe"),
            nb201_job(settings={"seconds": 60}),
            nb201_job(operations=["a", "b"]),
            nb201_job(operations=None, genotype={"normal": [["op"]]}),
            chain_job(slots={"cell": [{"source": 0}]}),
            chain_job(slots={"cell": [{"op": "x", "source": "first"}]}),
            chain_job(slots=[]),
            chain_job(space_definition=["chain8"]),
            nb201_job(encoding=[1, 2]),
        ]
        for document in bad:
            with self.subTest(document=str(document)[:120]):
                with self.assertRaises(JobError):
                    Job(document, stdout=io.StringIO())  # type: ignore[arg-type]
        for architecture in ("|a~0|+|b|", "|a~x|", "||", "normal=|a~0|;normal=|b~0|"):
            with self.subTest(architecture=architecture):
                job, _ = make(nb201_job(operations=None, architecture=architecture))
                with self.assertRaises(JobError):
                    job.slots

    def test_job_reads_a_file_the_environment_or_standard_input(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "job.json")
            with open(path, "w") as f:
                json.dump(chain_job(), f)
            out = io.StringIO()
            self.assertEqual(anasod_trainer.job(path, stdout=out, handle_sigterm=False).ops(), CHAIN_OPS)
            with mock.patch.dict(os.environ, {"ANASOD_JOB_FILE": path}):
                self.assertEqual(anasod_trainer.job(stdout=out, handle_sigterm=False).space, "chain8")
        with mock.patch.dict(os.environ, {}, clear=False):
            os.environ.pop("ANASOD_JOB_FILE", None)
            job = anasod_trainer.job(stdin=io.StringIO(json.dumps(nb201_job())), stdout=out, handle_sigterm=False)
        self.assertEqual(job.ops(), NB201_OPS)
        self.assertEqual(out.getvalue(), "")

    def test_a_bad_job_is_a_configuration_failure(self) -> None:
        for text in ("not json", json.dumps(nb201_job(protocol=9)), '{"space": "x", "architecture": NaN}'):
            with self.subTest(text=text[:40]):
                out = io.StringIO()
                with mock.patch.dict(os.environ, {}, clear=False), contextlib.redirect_stderr(io.StringIO()):
                    os.environ.pop("ANASOD_JOB_FILE", None)
                    with self.assertRaises(SystemExit) as stop:
                        anasod_trainer.job(stdin=io.StringIO(text), stdout=out, handle_sigterm=False)
                self.assertEqual(stop.exception.code, 2)
                [line] = lines(out)
                self.assertEqual((line["event"], line["class"]), ("failure", "configuration"))
        out = io.StringIO()
        with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit):
            anasod_trainer.job("/nonexistent/job.json", stdout=out, handle_sigterm=False)
        self.assertIn("cannot read the job", lines(out)[0]["reason"])


class WiringFallbackTests(unittest.TestCase):
    """Without ``slots``, a user space's edge list takes its targets from the definition's wiring."""

    def test_a_dag_listed_in_any_order_and_a_darts_like_cell_with_three_inputs(self) -> None:
        dag = {"cell_types": ["cell"], "wiring": {"dag": [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]}}
        cells = anasod_trainer.slots_from_architecture("|c~0|+|p~0|s~1|+|z~1|c~2|", dag)
        self.assertEqual([(s.op, s.source, s.target) for s in cells["cell"]],
                         [("c", 0, 1), ("p", 0, 2), ("s", 1, 2), ("z", 1, 3), ("c", 2, 3)])
        darts = {"cell_types": ["n", "r"], "wiring": {"darts": {"nodes": 2, "inputs": 3, "edges_per_node": 2}}}
        cells = anasod_trainer.slots_from_architecture("n=|a~0|b~2|+|c~1|d~3|;r=|a~0|b~1|+|c~0|d~2|", darts)
        self.assertEqual([s.target for s in cells["n"]], [3, 3, 4, 4])
        self.assertEqual([s.source for s in cells["r"]], [0, 1, 0, 2])
        with self.assertRaises(anasod_trainer.JobError):
            anasod_trainer.slots_from_architecture("|c~0|+|p~0|", dag)


class OutputTests(unittest.TestCase):
    def test_progress_lines(self) -> None:
        job, out = make(nb201_job())
        job.report(1, val_error=24.5, loss=0.61, seconds=12.5)
        job.report(2, val_error=float("nan"), loss=float("inf"))
        job.report(0, lr=0.1)
        self.assertEqual(out.getvalue().splitlines()[0],
                         '{"event": "progress", "epoch": 1, "validation_error": 24.5, "train_loss": 0.61, "seconds": 12.5}')
        self.assertEqual(lines(out)[1], {"event": "progress", "epoch": 2, "validation_error": None, "train_loss": None})
        self.assertEqual(lines(out)[2], {"event": "progress", "epoch": 0, "lr": 0.1})

    def test_progress_checks_its_numbers(self) -> None:
        job, out = make(nb201_job())
        calls: List[Callable[[], None]] = [
            lambda: job.report(1, val_error=0.25 * 1000), lambda: job.report(1, val_error=-1), lambda: job.report(-1),
            lambda: job.report(1, train_loss=2), lambda: job.report(1, event="x"),
            lambda: job.report(1, val_error="low")]  # type: ignore[arg-type]
        for call in calls:
            with self.assertRaises(ValueError):
                call()
        with self.assertRaises(TypeError):
            job.report(1.5)  # type: ignore[arg-type]
        self.assertEqual(out.getvalue(), "")

    def test_extra_values_are_made_json(self) -> None:
        job, out = make(nb201_job())
        job.report(1, curve=[1.0, float("nan")], info={"a": float("-inf")}, name="x")
        self.assertEqual(lines(out)[0]["curve"], [1.0, None])
        self.assertEqual(lines(out)[0]["info"], {"a": None})

    def test_result_exactly_once(self) -> None:
        job, out = make(nb201_job())
        job.result(21.7, test_error=22.1, params=559098, flops=119846656.0, train_seconds=61.0, device="cpu")
        self.assertEqual(lines(out), [{"event": "result", "validation_error": 21.7, "test_error": 22.1,
                                       "train_seconds": 61.0, "parameters": 559098, "flops": 119846656,
                                       "device": "cpu"}])
        self.assertTrue(job.result_reported)
        with self.assertRaises(RuntimeError):
            job.result(20.0)
        with self.assertRaises(RuntimeError):
            job.report(4)
        self.assertEqual(len(lines(out)), 1)

    def test_result_checks_its_numbers(self) -> None:
        job, out = make(nb201_job())
        calls: List[Callable[[], None]] = [lambda: job.result(101), lambda: job.result(10, test_error=-0.5),
                                           lambda: job.result(10, params=-1), lambda: job.result(10, latency_ms=-1),
                                           lambda: job.result(10, memory_mb=float("inf")),
                                           lambda: job.result(10, latency_ms="fast")]
        for call in calls:
            with self.assertRaises(ValueError):
                call()
        self.assertFalse(job.result_reported)
        job.result(0, test_error=float("nan"), params=10)
        self.assertEqual(lines(out), [{"event": "result", "validation_error": 0.0, "test_error": None, "parameters": 10}])

    def test_latency_and_memory_travel_in_the_result(self) -> None:
        job, out = make(nb201_job())
        job.result(9.5, latency_ms=3.25, memory_mb=812)
        self.assertEqual(lines(out), [{"event": "result", "validation_error": 9.5, "latency_ms": 3.25, "memory_mb": 812.0}])
        other, _ = make(nb201_job())
        with self.assertRaises(ValueError):  # the protocol's own keys are not free-form extras
            other.report(1, latency_ms=1)

    def test_measure_latency_takes_the_median_of_the_timed_calls(self) -> None:
        calls: List[float] = []
        durations = iter([0.05, 0.05] + [0.001, 0.030, 0.002, 0.003, 0.004])  # two warm-ups, then five timed

        def forward() -> None:
            seconds = next(durations)
            calls.append(seconds)
            time.sleep(seconds)

        latency = anasod_trainer.measure_latency_ms(forward, repeats=5, warmup=2)
        self.assertEqual(len(calls), 7)
        self.assertGreaterEqual(latency, 3.0)   # the median of 1, 30, 2, 3, 4 ms is 3 ms (sleep may overrun)
        self.assertLess(latency, 25.0)          # not the mean (8 ms would pass; the 30 ms outlier would not)
        synced: List[int] = []
        anasod_trainer.measure_latency_ms(lambda: None, repeats=3, warmup=1, synchronize=lambda: synced.append(1))
        self.assertEqual(len(synced), 4)
        with self.assertRaises(ValueError):
            anasod_trainer.measure_latency_ms(lambda: None, repeats=0)
        self.assertGreater(anasod_trainer.peak_memory_mb() or 0.0, 1.0)

    def test_a_non_finite_validation_error_is_the_architectures_failure(self) -> None:
        for value in (float("nan"), float("inf")):
            job, out = make(nb201_job())
            with contextlib.redirect_stderr(io.StringIO()), self.assertRaises(SystemExit) as stop:
                job.result(value, test_error=10)
            self.assertEqual(stop.exception.code, 4)
            self.assertEqual(lines(out), [{"event": "failure", "class": "architecture",
                                           "reason": "validation error is not finite (diverged)"}])
            self.assertFalse(job.result_reported)

    def test_fail_prints_the_class_and_exits_with_its_status(self) -> None:
        for kind, status in (("configuration", 2), ("data", 3), ("architecture", 4), ("resource", 5), ("transient", 75)):
            job, out = make(nb201_job())
            err = io.StringIO()
            with contextlib.redirect_stderr(err), self.assertRaises(SystemExit) as stop:
                job.fail("it broke\nbadly", kind=kind)
            self.assertEqual(stop.exception.code, status)
            self.assertEqual(lines(out), [{"event": "failure", "class": kind, "reason": "it broke badly"}])
            self.assertIn("it broke", err.getvalue())
        job, out = make(nb201_job())
        with self.assertRaises(ValueError):
            job.fail("x", kind="cosmic")
        with self.assertRaises(ValueError):
            Failure("x", kind="cosmic")
        self.assertEqual(out.getvalue(), "")
        self.assertEqual(job.setting("x", "d"), "d")

    def test_stop_requests(self) -> None:
        job, out = make(nb201_job())
        self.assertFalse(job.should_stop())
        job.report(1, val_error=50)
        job.request_stop()
        self.assertTrue(job.stop_requested)
        self.assertTrue(job.should_stop())
        with self.assertRaises(Stopped):
            job.report(2, val_error=40)
        with self.assertRaises(Stopped):
            job.check_stop()
        self.assertFalse(issubclass(Stopped, Exception))
        self.assertEqual(len(lines(out)), 1)


class ContextTests(unittest.TestCase):
    def run_block(self, body: Any) -> Tuple[Optional[Any], List[Dict[str, Any]], str]:
        """Runs `body(job)` inside ``with job:``; (exit status or None, stdout lines, stderr)."""
        job, out = make(nb201_job())
        err = io.StringIO()
        code = None
        with contextlib.redirect_stderr(err):
            try:
                with job:
                    body(job)
            except SystemExit as stop:
                code = stop.code
        return code, lines(out), err.getvalue()

    def test_exceptions_are_classed_by_type(self) -> None:
        cases = [(MemoryError(), "resource"), (FileNotFoundError(2, "no such file", "/data/x"), "data"),
                 (ImportError("No module named torch"), "data"), (ModuleNotFoundError("numpy"), "data"),
                 (PermissionError("denied"), "data"), (FloatingPointError("overflow"), "architecture"),
                 (ZeroDivisionError("division by zero"), "architecture"), (OverflowError("big"), "architecture"),
                 (ValueError("bad shape"), "configuration"), (KeyError("x"), "configuration"),
                 (TypeError("t"), "configuration"), (RuntimeError("oops"), "configuration"),
                 (RuntimeError("CUDA out of memory. Tried to allocate 2 GiB"), "resource"),
                 (RuntimeError("CUDA error: an illegal memory access"), "resource"),
                 (JobError("bad"), "configuration"), (Failure("disk hiccup"), "transient"),
                 (Failure("no data", kind="data"), "data")]
        for error, kind in cases:
            with self.subTest(error=repr(error)):
                self.assertEqual(anasod_trainer.failure_class(error), kind)

        class Declared(Exception):
            failure_class = "data"
        self.assertEqual(anasod_trainer.failure_class(Declared()), "data")

        def divide(job: Job) -> None:
            job.report(1, val_error=30)
            print(1 / 0)
        code, out, err = self.run_block(divide)
        self.assertEqual(code, 4)
        self.assertEqual(out[-1], {"event": "failure", "class": "architecture", "reason": "ZeroDivisionError: division by zero"})
        self.assertIn("Traceback", err)

        def oom(job: Job) -> None:
            raise MemoryError()
        code, out, _ = self.run_block(oom)
        self.assertEqual((code, out), (5, [{"event": "failure", "class": "resource", "reason": "MemoryError"}]))

        def deliberate(job: Job) -> None:
            raise Failure("no CIFAR-10 in /data", kind="data")
        code, out, err = self.run_block(deliberate)
        self.assertEqual((code, out[0]["class"], out[0]["reason"]), (3, "data", "no CIFAR-10 in /data"))
        self.assertNotIn("Traceback", err)

    def test_ending_without_a_result_is_a_configuration_failure(self) -> None:
        code, out, _ = self.run_block(lambda job: job.report(1))
        self.assertEqual(code, 2)
        self.assertEqual(out[-1], {"event": "failure", "class": "configuration", "reason": "the trainer ended without a result"})

    def test_a_result_ends_cleanly(self) -> None:
        code, out, _ = self.run_block(lambda job: job.result(12.5))
        self.assertIsNone(code)
        self.assertEqual(out, [{"event": "result", "validation_error": 12.5}])

        def after(job: Job) -> None:
            job.result(12.5)
            raise OSError("cleanup failed")
        code, out, err = self.run_block(after)
        self.assertEqual((code, len(out)), (0, 1))
        self.assertIn("cleanup failed", err)

    def test_stopped_exits_quietly_with_143(self) -> None:
        def stop(job: Job) -> None:
            job.request_stop()
            job.report(1)
        code, out, _ = self.run_block(stop)
        self.assertEqual((code, out), (143, []))

    def test_fail_and_system_exit_pass_through(self) -> None:
        code, out, _ = self.run_block(lambda job: job.fail("gone", kind="data"))
        self.assertEqual((code, len(out)), (3, 1))
        code, out, _ = self.run_block(lambda job: sys.exit(0))
        self.assertEqual((code, out), (0, []))


TRAINER_PRELUDE = """
import sys, time
import anasod_trainer
"""


class ProcessTests(unittest.TestCase):
    """Trainers as the worker runs them: a process, the job on standard input, SIGTERM to stop."""

    def start(self, script: str, document: Optional[Dict[str, Any]] = None) -> "subprocess.Popen[str]":
        environment = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, PYTHONUNBUFFERED="1")
        environment.pop("ANASOD_JOB_FILE", None)
        process = subprocess.Popen([sys.executable, "-c", TRAINER_PRELUDE + textwrap.dedent(script)], env=environment,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert process.stdin is not None
        process.stdin.write(json.dumps(document if document is not None else chain_job()))
        process.stdin.close()
        process.stdin = None  # communicate() must not flush it again
        return process

    def finish(self, script: str, document: Optional[Dict[str, Any]] = None) -> Tuple[int, List[Dict[str, Any]], str]:
        process = self.start(script, document)
        out, err = process.communicate(timeout=30)
        return process.returncode, [json.loads(line) for line in out.splitlines() if line.strip()], err

    def test_a_trainer_that_succeeds(self) -> None:
        code, out, err = self.finish("""
            def main(job):
                print("a stray print goes to standard error")
                import os
                os.write(1, b"and so does a C library's write to descriptor 1\\n")
                job.log("starting " + "|".join(job.ops()))
                job.report(1, val_error=40.0, loss=1.2, seconds=0.1)
                job.result(35.5, test_error=36.0, params=1234, flops=5678)
            anasod_trainer.run(main)
        """)
        self.assertEqual(code, 0, err)
        self.assertEqual([line["event"] for line in out], ["progress", "result"])
        self.assertIn("a stray print", err)
        self.assertIn("descriptor 1", err)
        self.assertIn("starting dense_relu|identity", err)

    def test_sigterm_stops_the_trainer_with_143_and_no_result(self) -> None:
        process = self.start("""
            with anasod_trainer.job() as job:
                epoch = 0
                while True:
                    epoch += 1
                    job.report(epoch, val_error=50.0)
                    time.sleep(0.02)
                job.result(10.0)
        """)
        assert process.stdout is not None
        first = json.loads(process.stdout.readline())
        self.assertEqual(first["event"], "progress")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 143, err)
        events = [json.loads(line)["event"] for line in out.splitlines() if line.strip()]
        self.assertEqual(set(events) - {"progress"}, set(), out)
        self.assertIn("stopping without a result", err)
        self.assertNotIn("Traceback", err)

    def test_should_stop_is_seen_between_reports(self) -> None:
        process = self.start("""
            with anasod_trainer.job() as job:
                print("ready", file=sys.stderr, flush=True)
                job.report(0)
                deadline = time.time() + 20
                while not job.should_stop() and time.time() < deadline:
                    time.sleep(0.01)
                job.log("saw the stop: %s" % job.stop_requested)
                job.report(1)
        """)
        assert process.stdout is not None
        process.stdout.readline()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        self.assertEqual(process.returncode, 143, err)
        self.assertIn("saw the stop: True", err)

    def test_uncaught_exceptions_and_failures_exit_with_their_class(self) -> None:
        cases = [("raise MemoryError()", 5, "resource"), ("import torch_that_is_not_there", 3, "data"),
                 ("open('/nonexistent/data.gz')", 3, "data"), ("float('nan') + 1 / 0", 4, "architecture"),
                 ("{}['key']", 2, "configuration"), ("job.fail('hiccup')", 75, "transient"),
                 ("job.fail('no data here', kind='data')", 3, "data"), ("pass", 2, "configuration")]
        for body, status, kind in cases:
            with self.subTest(body=body):
                code, out, err = self.finish(f"""
                    with anasod_trainer.job() as job:
                        job.report(1, val_error=50.0)
                        {body}
                """)
                self.assertEqual(code, status, err)
                self.assertEqual([line["event"] for line in out], ["progress", "failure"])
                self.assertEqual(out[-1]["class"], kind)
                if "fail(" not in body and body != "pass":
                    self.assertIn("Traceback", err)

    def test_a_bad_job_exits_2(self) -> None:
        code, out, _ = self.finish("anasod_trainer.job()", nb201_job(protocol=2))
        self.assertEqual(code, 2)
        self.assertEqual(out[0]["class"], "configuration")
        code, out, _ = self.finish("anasod_trainer.job()", chain_job(data_dir="/secret"))
        self.assertEqual(code, 2)
        self.assertIn("data_dir", out[0]["reason"])

    def test_a_failure_before_the_job(self) -> None:
        code, out, err = self.finish("anasod_trainer.fail('needs PyTorch', kind='data')")
        self.assertEqual((code, out), (3, [{"event": "failure", "class": "data", "reason": "needs PyTorch"}]))
        self.assertIn("needs PyTorch", err)

    def test_the_job_file_wins_over_standard_input(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "job.json")
            with open(path, "w") as f:
                json.dump(nb201_job(), f)
            environment = dict(os.environ, PYTHONPATH=PACKAGE_ROOT, ANASOD_JOB_FILE=path)
            started = time.time()
            run = subprocess.run([sys.executable, "-c", TRAINER_PRELUDE + "anasod_trainer.run(lambda job: job.result("
                                  "len(job.ops()) * 1.0))"], env=environment, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=30)
            self.assertLess(time.time() - started, 20)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(json.loads(run.stdout)["validation_error"], 6.0)
        self.assertTrue(math.isfinite(json.loads(run.stdout)["validation_error"]))


if __name__ == "__main__":
    unittest.main()
