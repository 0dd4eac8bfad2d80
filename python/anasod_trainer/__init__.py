"""anasod_trainer: the trainer side of ANASOD Cluster's external trainer protocol (cluster/TRAINER.md).

A worker runs a trainer process per job: the job arrives as JSON (in the file named by $ANASOD_JOB_FILE,
and on standard input); the trainer prints JSON lines on standard output (``progress`` per epoch, one
``result`` at the end, or a ``failure`` with its class) and exits with the status the class stands for.
This module does the talking, so a trainer only trains::

    import anasod_trainer

    def main(job: anasod_trainer.Job) -> None:
        net = build(job.ops(), width=job.channels or 64)
        for epoch in range(1, (job.epochs or 10) + 1):
            loss = train_one_epoch(net)              # the trainer's own code
            job.report(epoch, val_error=validate(net), loss=loss)
        job.result(validate(net), test_error=test(net), params=size(net))

    anasod_trainer.run(main)

* ``anasod_trainer.job()`` reads and checks the job (a bad one is a ``configuration`` failure), turns
  SIGTERM into a request to stop (``job.should_stop()``; the next ``job.report()`` raises `Stopped`), and
  keeps standard output for protocol lines: stray ``print()``s, C libraries and child processes write
  to standard error instead.
* ``with anasod_trainer.job() as job:`` (or ``anasod_trainer.run(main)``) ends the trainer as the protocol
  wants: `Stopped` exits quietly with status 143, an uncaught exception becomes a ``failure`` line with a
  class chosen by its type (see `failure_class`), ending without a result is a ``configuration`` failure.

Standard library only; Python 3.8 or later.
"""

import json
import math
import operator
import os
import signal
import sys
import threading
import time
import traceback
from types import FrameType, TracebackType
from typing import (IO, Any, Callable, Dict, List, Mapping, NamedTuple, NoReturn, Optional, Tuple, Type,
                    TypeVar, Union, cast, overload)

__all__ = ["PROTOCOL", "FAILURE_STATUS", "STOPPED_STATUS", "NB201_SOURCES", "NB201_TARGETS", "Slot", "Job", "JobError",
           "Failure", "Stopped", "job", "run", "fail", "log", "failure_class", "slots_from_architecture",
           "measure_latency_ms", "peak_memory_mb"]
__version__ = "1.0.0"

#: The protocol version this module speaks (the job's ``protocol`` key).
PROTOCOL = 1

#: The failure classes of cluster/TRAINER.md and the exit status that says each.
FAILURE_STATUS: Dict[str, int] = {"configuration": 2, "data": 3, "architecture": 4, "resource": 5, "transient": 75}

#: The exit status of a trainer stopped by SIGTERM (128 + 15), as a shell reports a process killed by it.
STOPPED_STATUS = 143

#: Where the six edges of an NB201 cell come from and go to, in arch-string order (the ``operations`` key).
NB201_SOURCES: Tuple[int, ...] = (0, 0, 1, 0, 1, 2)
NB201_TARGETS: Tuple[int, ...] = (1, 2, 2, 3, 3, 3)

_INTEGER_KEYS = ("channels", "cells", "epochs", "batch_size", "train_limit", "validation_size", "test_limit", "cutout")
_FLOAT_KEYS = ("learning_rate", "auxiliary_weight", "drop_path", "deadline")
_BOOLEAN_KEYS = ("augment", "amp")
_STRING_KEYS = ("study", "dataset", "work_dir", "device")
_REASON_LIMIT = 4000  # characters of a failure's reason: a protocol line stays far below the worker's 1 MiB

T = TypeVar("T")
Number = Union[int, float]


class Slot(NamedTuple):
    """One operation of a cell: its name, and the nodes it reads (``source``) and feeds (``target``).

    Nodes are numbered from the cell's inputs (NB201: node 0 is the input; DARTS: 0 and 1 are the two
    inputs, k >= 2 is the cell's node k - 2; a chain: slot i reads node i and feeds node i + 1). Both are
    None where the job does not say."""

    op: str
    source: Optional[int]
    target: Optional[int]


class JobError(ValueError):
    """A job that cannot be trained as it is (not JSON, another protocol, a missing or mistyped key).

    `job()` reports it as a ``configuration`` failure; inside ``with job()`` it is one too."""


class Failure(Exception):
    """An exception that carries its failure class: raised inside ``with job()`` (or `run`), it becomes a
    ``failure`` line of that class and reason, without a traceback. ``job.fail()`` exits at once instead."""

    def __init__(self, reason: str, kind: str = "transient") -> None:
        """`reason`: one line for the coordinator; `kind`: a class of `FAILURE_STATUS` (else ValueError)."""
        _check_kind(kind)
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class Stopped(BaseException):
    """Raised by ``job.report()`` (and ``job.check_stop()``) once SIGTERM asked the trainer to stop.

    A BaseException, so that ``except Exception`` in training code does not swallow it; ``with job()``
    turns it into a quiet exit with status 143 (nothing more on standard output)."""


# ---------------------------------------------------------------------------------------------- output

_protocol_stream: Optional[IO[str]] = None
_stream_lock = threading.Lock()


def _program_name() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return name[:-3] if name.endswith(".py") else (name or "trainer")


def log(message: str, name: Optional[str] = None) -> None:
    """Writes one message to standard error (the worker's stderr.log), prefixed with the trainer's name."""
    print(f"{name or _program_name()}: {message}", file=sys.stderr, flush=True)


def _guard_stdout() -> IO[str]:
    """The stream for protocol lines. The first call moves everything else off standard output: the
    process's file descriptor 1 becomes a copy of standard error (so ``print()``, C libraries and child
    processes write there), and protocol lines go to a private, non-inherited copy of the original."""
    global _protocol_stream
    with _stream_lock:
        if _protocol_stream is not None:
            return _protocol_stream
        stream = sys.stdout
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):  # a replaced sys.stdout: nothing to move
            descriptor = -1
        if descriptor != 1:
            _protocol_stream = stream
            return stream
        stream.flush()
        private = os.dup(1)  # not inherited by child processes (PEP 446)
        _protocol_stream = os.fdopen(private, "w", encoding="utf-8", newline="\n", buffering=1)
        os.dup2(2, 1)
        return _protocol_stream


def _clean(value: Any) -> Any:
    """A JSON-ready copy: non-finite numbers become None, NumPy-like scalars and arrays plain values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    for method in ("tolist", "item"):  # numpy.float32, numpy.ndarray, torch.Tensor
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                return _clean(convert())
            except (TypeError, ValueError):
                pass
    if hasattr(value, "__index__"):
        return operator.index(value)
    if hasattr(value, "__float__"):
        return _clean(float(value))
    return str(value)


def _write_line(stream: IO[str], event: str, fields: Mapping[str, Any]) -> None:
    line = json.dumps({"event": event, **{k: _clean(v) for k, v in fields.items()}}, allow_nan=False)
    with _stream_lock:
        stream.write(line + "\n")
        stream.flush()


def _check_kind(kind: str) -> None:
    if kind not in FAILURE_STATUS:
        raise ValueError(f"unknown failure class {kind!r} (one of {', '.join(FAILURE_STATUS)})")


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _REASON_LIMIT else text[:_REASON_LIMIT - 3] + "..."


def fail(reason: str, kind: str = "transient", stdout: Optional[IO[str]] = None, name: Optional[str] = None) -> NoReturn:
    """Prints a ``failure`` line of class `kind` and exits with that class's status (raises SystemExit).

    For failures before a job exists (a missing library at import time); with a job, use ``job.fail()``.
    The reason goes to standard error as well. Unknown `kind`: ValueError, nothing printed."""
    _check_kind(kind)
    reason = _one_line(reason)
    log(reason, name)
    _write_line(stdout or _guard_stdout(), "failure", {"class": kind, "reason": reason})
    raise SystemExit(FAILURE_STATUS[kind])


def failure_class(error: BaseException) -> str:
    """The failure class that an uncaught exception stands for.

    `Failure`: its ``kind``; any exception with a ``failure_class`` attribute naming a class: that one;
    MemoryError, and GPU faults (an ``OutOfMemoryError``, a RuntimeError mentioning CUDA, cuDNN, cuBLAS,
    NCCL, HIP or "out of memory"): ``resource``; FileNotFoundError, PermissionError, ImportError (and
    ModuleNotFoundError): ``data``; ArithmeticError (FloatingPointError, ZeroDivisionError, OverflowError):
    ``architecture``; anything else: ``configuration`` (a bug in the trainer, which retrying won't fix)."""
    if isinstance(error, Failure):
        return error.kind
    declared = getattr(error, "failure_class", None)
    if isinstance(declared, str) and declared in FAILURE_STATUS:
        return declared
    if isinstance(error, MemoryError) or type(error).__name__ == "OutOfMemoryError":
        return "resource"
    if isinstance(error, RuntimeError):
        text = str(error)
        if any(mark in text for mark in ("out of memory", "CUDA", "cuDNN", "CUBLAS", "cuBLAS", "NCCL", "HIP error")):
            return "resource"
    if isinstance(error, (FileNotFoundError, PermissionError, ImportError)):
        return "data"
    if isinstance(error, ArithmeticError):
        return "architecture"
    return "configuration"


def _describe(error: BaseException) -> str:
    if isinstance(error, Failure):
        return error.reason
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


# ---------------------------------------------------------------------------------------- architectures

def _node_groups(text: str) -> List[List[Tuple[str, int]]]:
    groups = []
    for node in text.strip().split("+"):
        edges = []
        for edge in (e.strip() for e in node.strip().strip("|").split("|")):
            if not edge:
                continue
            op, tilde, source = edge.rpartition("~")
            if not tilde or not op or not source.isdigit():
                raise JobError(f"architecture {text!r}: edge {edge!r} is not 'operation~source'")
            edges.append((op, int(source)))
        groups.append(edges)
    return groups


def _slots_from_wiring(text: str, cell_types: List[Any], wiring: Mapping[str, Any]) -> Dict[str, List[Slot]]:
    """The cells of a user space's edge-list string, targets from its definition's wiring: a DAG's edges as
    listed, or a DARTS-like node i (from 0) feeding node ``inputs + i``."""
    parts = [p for p in text.split(";") if p.strip()] if len(cell_types) > 1 else [text]
    if len(parts) != len(cell_types):
        raise JobError(f"architecture {text!r}: expected {len(cell_types)} cells ({', '.join(map(str, cell_types))})")
    cells: Dict[str, List[Slot]] = {}
    for name, part in zip(cell_types, parts):
        body = part.partition("=")[2] if len(cell_types) > 1 else part
        edges = [edge for node in _node_groups(body) for edge in node]
        if "dag" in wiring:
            pairs = list(wiring["dag"])
            if len(pairs) != len(edges):
                raise JobError(f"architecture {text!r}: {len(edges)} edges, the DAG has {len(pairs)}")
            cells[str(name)] = [Slot(op, source, int(pair[1])) for (op, source), pair in zip(edges, pairs)]
        else:
            darts = wiring["darts"]
            inputs, per_node = int(darts.get("inputs", 2)), int(darts.get("edges_per_node", 2))
            cells[str(name)] = [Slot(op, source, inputs + i // per_node) for i, (op, source) in enumerate(edges)]
    return cells


def slots_from_architecture(text: str, definition: Optional[Mapping[str, Any]] = None) -> Dict[str, List[Slot]]:
    """The cells of an architecture string, for jobs without ``slots``, ``operations`` or ``genotype``.

    * ``|op~0|+|op~0|op~1|+|...|`` (NB201): one cell; node j's edges feed node j, from the sources named;
    * ``normal=|op~0|op~1|+|...;reduce=...`` (DARTS): a cell per name; node i (from 0) is target i + 2;
    * ``|op|op|...|`` (plain names): one cell; with ``"wiring": "chain"`` in `definition`, slot i reads
      node i and feeds node i + 1, otherwise sources and targets are None.
    The one cell is named by the definition's first ``cell_types`` entry, else ``cell``. JobError if the
    text is none of these."""
    text = text.strip()
    cell_types = list((definition or {}).get("cell_types") or ["cell"])
    wiring = (definition or {}).get("wiring")
    if isinstance(wiring, Mapping) and ("dag" in wiring or "darts" in wiring):
        return _slots_from_wiring(text, cell_types, wiring)
    if "=" in text:
        cells: Dict[str, List[Slot]] = {}
        for part in (p for p in text.split(";") if p.strip()):
            name, _, body = part.partition("=")
            name = name.strip()
            if not name or name in cells:
                raise JobError(f"architecture {text!r}: cell {name!r} is not a new cell name")
            cells[name] = [Slot(op, source, i + 2) for i, node in enumerate(_node_groups(body)) for op, source in node]
        return cells
    if "~" in text:
        return {str(cell_types[0]): [Slot(op, source, j) for j, node in enumerate(_node_groups(text), start=1)
                                     for op, source in node]}
    if "+" in text:
        raise JobError(f"architecture {text!r}: nodes separated by '+' need 'operation~source' edges")
    ops = [op.strip() for op in text.strip("|").split("|") if op.strip()]
    if not ops:
        raise JobError(f"architecture {text!r} names no operation")
    chain = (definition or {}).get("wiring") == "chain"
    return {str(cell_types[0]): [Slot(op, i if chain else None, i + 1 if chain else None) for i, op in enumerate(ops)]}


# ------------------------------------------------------------------------------------------------ parsing

def _integer(key: str, value: Any) -> int:
    if isinstance(value, bool):
        raise JobError(f"'{key}' must be an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip(), 10)  # "--5" and "²" are not integers ("²".isdigit() is True)
        except ValueError:
            pass
    raise JobError(f"'{key}' must be an integer, got {str(value)[:100]!r}")


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise JobError(f"'{key}' must be a number, got {str(value)[:100]!r}")
    if not math.isfinite(value):
        raise JobError(f"'{key}' must be a finite number, got {value!r}")
    return float(value)


def _parse_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise JobError(f"'{key}' must be true or false, got {str(value)[:100]!r}")


def _list(where: str, edges: Any) -> List[Any]:
    if not isinstance(edges, list):
        raise JobError(f"{where} must be a list, got {type(edges).__name__}")
    return edges


def _slot_object(where: str, i: int, entry: Any) -> Slot:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("op"), str):
        raise JobError(f"{where}[{i}] must be an object with an 'op' string, got {str(entry)[:100]!r}")
    ends = [None if entry.get(k) is None else _integer(f"{where}[{i}].{k}", entry.get(k)) for k in ("source", "target")]
    return Slot(entry["op"], ends[0], ends[1])


def _genotype_edge(name: str, i: int, edge: Any) -> Slot:
    if not (isinstance(edge, list) and len(edge) == 2 and isinstance(edge[0], str)):
        raise JobError(f"genotype.{name}[{i}] must be [operation, source], got {str(edge)[:100]!r}")
    return Slot(edge[0], _integer(f"genotype.{name}[{i}][1]", edge[1]), i // 2 + 2)


def _explicit_slots(document: Mapping[str, Any]) -> Optional[Dict[str, List[Slot]]]:
    """The cells from the job's ``slots``, else ``operations`` (NB201), else ``genotype`` (DARTS)."""
    slots = document.get("slots")
    if slots is not None:
        if not isinstance(slots, Mapping) or not slots:
            raise JobError("'slots' must be an object of cell types, each a list of {op, source, target}")
        cells: Dict[str, List[Slot]] = {}
        for name, edges in slots.items():
            where = f"slots.{name}"
            cells[str(name)] = [_slot_object(where, i, entry) for i, entry in enumerate(_list(where, edges))]
        return cells
    operations = document.get("operations")
    if operations is not None:
        if not (isinstance(operations, list) and len(operations) == len(NB201_SOURCES)
                and all(isinstance(op, str) for op in operations)):
            raise JobError(f"'operations' must be {len(NB201_SOURCES)} operation names, got {str(operations)[:200]!r}")
        return {"cell": [Slot(op, s, t) for op, s, t in zip(operations, NB201_SOURCES, NB201_TARGETS)]}
    genotype = document.get("genotype")
    if genotype is not None:
        if not isinstance(genotype, Mapping) or not genotype:
            raise JobError("'genotype' must be an object of cells, each a list of [operation, source]")
        return {str(name): [_genotype_edge(str(name), i, edge) for i, edge in enumerate(_list(f"genotype.{name}", edges))]
                for name, edges in genotype.items()}
    return None


def _load_json(text: str) -> Any:
    def refuse(constant: str) -> NoReturn:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


# -------------------------------------------------------------------------------------------------- job

class Job:
    """One attempt's job, checked, with the protocol's output methods.

    Made by `job()` (reads, checks, prepares SIGTERM and standard output) or directly as
    ``Job(document)`` (checks only; JobError on a bad job: handy in tests). Typed attributes hold the
    job's keys (None where the job leaves a setting null or out); ``job.document`` has them all."""

    space: str
    architecture: str
    study: Optional[str]
    job_id: Optional[int]
    attempt: Optional[int]
    seed: int
    dataset: Optional[str]
    encoding: Optional[List[List[float]]]
    definition: Optional[Dict[str, Any]]
    settings: Dict[str, str]
    channels: Optional[int]
    cells: Optional[int]
    epochs: Optional[int]
    batch_size: Optional[int]
    learning_rate: Optional[float]
    train_limit: Optional[int]
    validation_size: Optional[int]
    test_limit: Optional[int]
    augment: Optional[bool]
    cutout: Optional[int]
    auxiliary_weight: Optional[float]
    drop_path: Optional[float]
    amp: Optional[bool]
    work_dir: Optional[str]
    device: Optional[str]
    deadline: Optional[float]

    def __init__(self, document: Mapping[str, Any], *, defaults: Optional[Mapping[str, Any]] = None,
                 overrides: Optional[Mapping[str, Any]] = None, stdout: Optional[IO[str]] = None,
                 name: Optional[str] = None) -> None:
        """Checks `document` (the job's JSON object) and keeps its values; JobError names what is wrong.

        `defaults` fill keys the job leaves out or null (a standalone run's settings); `overrides` win
        over the job (the trainer's own command-line flags). A job carrying ``data_dir`` is refused:
        a job names a data set, never a folder (see `data_directory`). `stdout`: where protocol lines go
        (default: the process's standard output); `name`: the prefix of `log` lines."""
        if not isinstance(document, Mapping):
            raise JobError(f"the job is not a JSON object (got {type(document).__name__})")
        protocol = document.get("protocol", PROTOCOL)
        if isinstance(protocol, bool) or protocol != PROTOCOL:
            raise JobError(f"trainer protocol {protocol!r} is not supported (this trainer speaks {PROTOCOL})")
        if document.get("data_dir") is not None:
            raise JobError("the job sets 'data_dir', and a job names a data set, never a folder: the worker's "
                           "operator sets the data folder with the trainer's --data-dir or $ANASOD_DATA_DIR")
        merged: Dict[str, Any] = dict(defaults or {})
        merged.update({str(k): v for k, v in document.items() if v is not None})
        merged.update({k: v for k, v in (overrides or {}).items() if v is not None})
        self.document: Dict[str, Any] = merged
        self._stdout = stdout
        self.name = name or _program_name()
        self._stop = False
        self._result_reported = False

        for key in ("space", "architecture"):
            if not isinstance(merged.get(key), str) or not merged[key].strip():
                raise JobError(f"the job has no '{key}' (a non-empty string)")
        self.space = merged["space"]
        self.architecture = merged["architecture"]
        for key in _STRING_KEYS:
            if merged.get(key) is not None and not isinstance(merged[key], str):
                raise JobError(f"'{key}' must be a string, got {str(merged[key])[:100]!r}")
        self.study = merged.get("study")
        self.dataset = merged.get("dataset")
        self.device = merged.get("device")
        self.work_dir = merged.get("work_dir") or os.environ.get("ANASOD_WORK_DIR") or None
        self.job_id = None if merged.get("job") is None else _integer("job", merged["job"])
        self.attempt = None if merged.get("attempt") is None else _integer("attempt", merged["attempt"])
        seed = _integer("seed", 0 if merged.get("seed") is None else merged["seed"])
        if seed < 0:
            raise JobError(f"'seed' must not be negative, got {seed}")
        self.seed = seed
        integers = {key: None if merged.get(key) is None else _integer(key, merged[key]) for key in _INTEGER_KEYS}
        floats = {key: None if merged.get(key) is None else _number(key, merged[key]) for key in _FLOAT_KEYS}
        booleans = {key: None if merged.get(key) is None else _parse_bool(key, merged[key]) for key in _BOOLEAN_KEYS}
        self.channels, self.cells, self.epochs = integers["channels"], integers["cells"], integers["epochs"]
        self.batch_size, self.train_limit = integers["batch_size"], integers["train_limit"]
        self.validation_size, self.test_limit = integers["validation_size"], integers["test_limit"]
        self.cutout = integers["cutout"]
        self.learning_rate, self.auxiliary_weight = floats["learning_rate"], floats["auxiliary_weight"]
        self.drop_path, self.deadline = floats["drop_path"], floats["deadline"]
        self.augment, self.amp = booleans["augment"], booleans["amp"]

        settings = merged.get("settings") or {}
        if not isinstance(settings, Mapping) or not all(isinstance(v, str) for v in settings.values()):
            raise JobError("'settings' must be an object of strings")
        self.settings = {str(k): v for k, v in settings.items()}
        definition = merged.get("space_definition")
        if definition is not None and not isinstance(definition, Mapping):
            raise JobError("'space_definition' must be an object")
        self.definition = None if definition is None else dict(definition)
        encoding = merged.get("encoding")
        if encoding is not None and not (isinstance(encoding, list) and all(isinstance(row, list) for row in encoding)):
            raise JobError("'encoding' must be a list of lists of numbers")
        self.encoding = None if encoding is None else [[_number("encoding", x) for x in row] for row in encoding]
        self._slots = _explicit_slots(merged)
        order = (self.definition or {}).get("cell_types")
        if self._slots is not None and isinstance(order, list) and sorted(map(str, order)) == sorted(self._slots):
            self._slots = {str(name): self._slots[str(name)] for name in order}  # the definition's order

    # ------------------------------------------------------------------------------------- the cell

    @property
    def slots(self) -> Dict[str, List[Slot]]:
        """The cells by cell type (``{"cell": [Slot(op, source, target), ...]}``), from the job's ``slots``
        key, else NB201's ``operations``, else DARTS's ``genotype`` (``normal`` and ``reduce``), else the
        architecture string (`slots_from_architecture`); JobError when none of them says. Cell types come
        in the order of the definition's ``cell_types`` where the job has one, else in the job's order."""
        if self._slots is None:
            self._slots = slots_from_architecture(self.architecture, self.definition)
        return self._slots

    @property
    def cell_types(self) -> List[str]:
        """The names of the job's cell types, in the job's order (``["cell"]``, ``["normal", "reduce"]``)."""
        return list(self.slots)

    def ops(self, cell_type: Optional[str] = None) -> List[str]:
        """The operation names of a cell, in slot order: of `cell_type`, or of the job's only cell type
        (ValueError when it has several and none is named, or names one it lacks)."""
        cells = self.slots
        if cell_type is None:
            if len(cells) != 1:
                raise ValueError(f"the job has {len(cells)} cell types ({', '.join(cells)}): name one")
            cell_type = next(iter(cells))
        if cell_type not in cells:
            raise ValueError(f"the job has no cell type {cell_type!r} ({', '.join(cells)})")
        return [slot.op for slot in cells[cell_type]]

    # --------------------------------------------------------------------------------- settings

    def get(self, key: str, default: Any = None) -> Any:
        """The job's value of `key` (defaults and overrides applied), or `default` when absent or null."""
        value = self.document.get(key)
        return default if value is None else value

    @overload
    def setting(self, name: str) -> Optional[str]: ...

    @overload
    def setting(self, name: str, default: None, type: Callable[[str], T]) -> Optional[T]: ...

    @overload
    def setting(self, name: str, default: T, type: Optional[Callable[[str], T]] = None) -> T: ...

    @overload
    def setting(self, name: str, *, type: Callable[[str], T]) -> Optional[T]: ...

    def setting(self, name: str, default: Any = None, type: Optional[Callable[[str], Any]] = None) -> Any:
        """The text setting `name` of the job's ``settings``, converted by `type` (default: the type of
        `default`, else str; ``bool`` reads true/false/1/0/yes/no), or `default` when the job lacks it.
        JobError when the text does not convert."""
        text = self.settings.get(name)
        if text is None:
            return default
        convert: Callable[[str], Any] = type or (default.__class__ if default is not None else str)
        if convert is bool:
            return _parse_bool(f"settings.{name}", text)
        try:
            return convert(text)
        except (TypeError, ValueError) as error:
            kind = getattr(convert, "__name__", "value")
            raise JobError(f"setting '{name}' = {text!r} is not a valid {kind}: {error}") from None

    @overload
    def data_directory(self, flag: Optional[str], default: str) -> str: ...

    @overload
    def data_directory(self, flag: Optional[str] = None, default: Optional[str] = None) -> Optional[str]: ...

    def data_directory(self, flag: Optional[str] = None, default: Optional[str] = None) -> Optional[str]:
        """The data folder the worker's operator chose: `flag` (the trainer's --data-dir), else
        $ANASOD_DATA_DIR, else `default`. Never the job's: a job that names one was refused."""
        return flag or os.environ.get("ANASOD_DATA_DIR") or default

    def seconds_left(self) -> Optional[float]:
        """Seconds until the job's deadline (negative once past), or None when the job has none."""
        return None if self.deadline is None else self.deadline - time.time()

    # ------------------------------------------------------------------------------------- output

    def _stream(self) -> IO[str]:
        return self._stdout or _guard_stdout()

    def log(self, message: str) -> None:
        """Writes one message to standard error (the worker keeps it in stderr.log), never to stdout."""
        log(message, self.name)

    def report(self, epoch: int, val_error: Optional[Number] = None, loss: Optional[Number] = None,
               seconds: Optional[Number] = None, **extra: Any) -> None:
        """Prints a ``progress`` line: `epoch` (int >= 0), the validation error in percent (0...100,
        ValueError outside), the training loss and the seconds since training started (cumulative, as
        early stopping's replays read them); arguments left None are left
        out, non-finite numbers print as null. `extra` keys are added (the worker ignores them).

        Raises `Stopped` instead once SIGTERM asked the trainer to stop, and RuntimeError after `result`."""
        self.check_stop()
        if self._result_reported:
            raise RuntimeError("report() after result(): the result is a trainer's last line")
        if isinstance(epoch, bool) or operator.index(epoch) < 0:
            raise ValueError(f"epoch must be an integer >= 0, got {epoch!r}")
        fields: Dict[str, Any] = {"epoch": operator.index(epoch)}
        if val_error is not None:
            fields["validation_error"] = _percentage("val_error", val_error)
        if loss is not None:
            fields["train_loss"] = _float("loss", loss)
        if seconds is not None:
            fields["seconds"] = _float("seconds", seconds)
        self._emit("progress", fields, extra)

    def result(self, val_error: Number, test_error: Optional[Number] = None, params: Optional[Number] = None,
               flops: Optional[Number] = None, train_seconds: Optional[Number] = None,
               latency_ms: Optional[Number] = None, memory_mb: Optional[Number] = None, **extra: Any) -> None:
        """Prints the ``result`` line, exactly once (a second call raises RuntimeError): the validation
        error in percent (the search objective), the test error, the parameter count, the FLOPs and
        the training seconds (the worker measures them when left out). Errors outside 0...100:
        ValueError. A non-finite `val_error` is the cell's failure: ``fail(..., "architecture")``.

        `latency_ms` (one image's forward pass, see `measure_latency_ms`) and `memory_mb` (the training's
        peak, see `peak_memory_mb`) are what a study may constrain only after evaluation; a study that
        constrains one counts a result without it as breaking the limit. Negative or non-finite: ValueError."""
        if self._result_reported:
            raise RuntimeError("result() was already called: a trainer prints exactly one result")
        value = _float("val_error", val_error)
        if not math.isfinite(value):
            self.fail("validation error is not finite (diverged)", kind="architecture")
        fields: Dict[str, Any] = {"validation_error": _percentage("val_error", value)}
        if test_error is not None:
            fields["test_error"] = _percentage("test_error", test_error)
        if train_seconds is not None:
            fields["train_seconds"] = _float("train_seconds", train_seconds)
        if params is not None:
            fields["parameters"] = _count("params", params)
        if flops is not None:
            fields["flops"] = _count("flops", flops)
        if latency_ms is not None:
            fields["latency_ms"] = _measure("latency_ms", latency_ms)
        if memory_mb is not None:
            fields["memory_mb"] = _measure("memory_mb", memory_mb)
        self._result_reported = True
        self._emit("result", fields, extra)

    @property
    def result_reported(self) -> bool:
        """Whether `result` has printed the result line."""
        return self._result_reported

    def fail(self, reason: str, kind: str = "transient") -> NoReturn:
        """Prints a ``failure`` line (`kind`: configuration, data, architecture, resource or transient;
        ValueError for another) with a one-line `reason`, and exits with the class's status (2, 3, 4, 5,
        75) by raising SystemExit. The reason goes to standard error too."""
        fail(reason, kind, self._stream(), self.name)

    def _emit(self, event: str, fields: Dict[str, Any], extra: Mapping[str, Any]) -> None:
        clash = sorted(set(extra) & (set(fields) | {"event", "epoch", "validation_error", "train_loss", "seconds",
                                                     "test_error", "train_seconds", "parameters", "flops",
                                                     "latency_ms", "memory_mb"}))
        if clash:
            raise ValueError(f"extra keys {clash} are the protocol's own")
        _write_line(self._stream(), event, {**fields, **extra})

    # ------------------------------------------------------------------------------------- stopping

    @property
    def stop_requested(self) -> bool:
        """True once SIGTERM (the worker's stop: a cancelled job, a shutdown, the deadline) arrived."""
        return self._stop

    def should_stop(self) -> bool:
        """True once SIGTERM arrived: the trainer should stop soon (`report` raises `Stopped` then). The worker
        sends SIGTERM when the coordinator cancels the job, early stopping's rungs included (the coordinator
        has then journaled the last reported epoch as the job's result): stop without a result line."""
        return self._stop

    def check_stop(self) -> None:
        """Raises `Stopped` if SIGTERM arrived: for long epochs, call it between batches."""
        if self._stop:
            raise Stopped("stopped by SIGTERM")

    def request_stop(self) -> None:
        """What SIGTERM does: marks the trainer as asked to stop (tests, or a trainer's own watchdog)."""
        self._stop = True

    def _on_sigterm(self, signum: int, frame: Optional[FrameType]) -> None:
        if self._stop:  # a second SIGTERM: stop now, wherever the trainer is
            raise Stopped("stopped by a second SIGTERM")
        self._stop = True

    def install_sigterm_handler(self) -> bool:
        """Turns SIGTERM into `request_stop` (a second SIGTERM raises `Stopped` at once); `job()` calls it.
        Only the main thread can: False (nothing done) elsewhere."""
        if threading.current_thread() is not threading.main_thread():
            return False
        signal.signal(signal.SIGTERM, self._on_sigterm)
        # A process that starts its children with SIGTERM blocked (a service manager, a test runner) would
        # leave it pending for ever: the worker's stop must reach the trainer.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
        return True

    # ---------------------------------------------------------------------------------- the context

    def __enter__(self) -> "Job":
        """``with anasod_trainer.job() as job:``: the block is the trainer's run (see `__exit__`)."""
        return self

    def __exit__(self, kind: Optional[Type[BaseException]], error: Optional[BaseException],
                 trace: Optional[TracebackType]) -> None:
        """Ends the trainer as the protocol wants (raising SystemExit): `Stopped` exits with status 143
        and prints nothing; an uncaught exception prints its traceback on standard error and a failure
        line of its `failure_class`, and exits with that class's status; a block that ends without
        `result` is a configuration failure. SystemExit, KeyboardInterrupt and `fail` pass as they are;
        an exception after the result was printed is logged, and the trainer exits with status 0."""
        if error is None:
            if not self._result_reported:
                self.fail("the trainer ended without a result", kind="configuration")
            return
        if isinstance(error, Stopped):
            self.log(f"{error}: stopping without a result")
            raise SystemExit(STOPPED_STATUS) from None
        if not isinstance(error, Exception):
            return
        if self._result_reported:
            self.log("an exception after the result (the result stands):")
            traceback.print_exception(type(error), error, trace, file=sys.stderr)
            sys.stderr.flush()
            raise SystemExit(0) from None
        if not isinstance(error, Failure):
            traceback.print_exception(type(error), error, trace, file=sys.stderr)
            sys.stderr.flush()
        self.fail(_describe(error), kind=failure_class(error))


def _float(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _percentage(name: str, value: Any) -> float:
    number = _float(name, value)
    if math.isfinite(number) and not 0 <= number <= 100:
        raise ValueError(f"{name} is a percentage in 0...100, got {number!r} (a fraction? multiply by 100)")
    return number


def _measure(name: str, value: Any) -> float:
    number = _float(name, value)
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {number!r}")
    return number


def measure_latency_ms(forward: Callable[[], Any], repeats: int = 11, warmup: int = 2,
                       synchronize: Optional[Callable[[], Any]] = None) -> float:
    """Milliseconds one call of `forward` takes: the median of `repeats` timed calls after `warmup` untimed
    ones. Pass a closure that runs one image through the trained network in inference mode; on a GPU pass
    `synchronize` (e.g. ``torch.cuda.synchronize``), called after each pass so that the time is the device's."""
    if repeats < 1 or warmup < 0:
        raise ValueError(f"repeats must be >= 1 and warmup >= 0, got {repeats}, {warmup}")
    for _ in range(warmup):
        forward()
        if synchronize is not None:
            synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        forward()
        if synchronize is not None:
            synchronize()
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    middle = len(times) // 2
    return times[middle] if len(times) % 2 == 1 else (times[middle - 1] + times[middle]) / 2


def peak_memory_mb() -> Optional[float]:
    """This process's peak resident set in MB so far (``getrusage``), the CPU trainer's `memory_mb`; None where
    the platform has no ``resource`` module (Windows). A GPU trainer reports its accelerator's peak instead
    (``torch.cuda.max_memory_allocated() / 2**20``)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024.0 if sys.platform != "darwin" else peak / 2.0 ** 20


def _count(name: str, value: Any) -> Number:
    if isinstance(value, float):
        if not math.isfinite(value):
            return value  # printed as null
        number: Number = int(value) if value.is_integer() else value
    else:
        try:
            number = operator.index(value)
        except TypeError:
            return _count(name, _float(name, value))
    if number < 0:
        raise ValueError(f"{name} must not be negative, got {number!r}")
    return number


# ----------------------------------------------------------------------------------------- entry points

def job(path: Optional[str] = None, stdin: Optional[IO[str]] = None, stdout: Optional[IO[str]] = None, *,
        document: Optional[Mapping[str, Any]] = None, defaults: Optional[Mapping[str, Any]] = None,
        overrides: Optional[Mapping[str, Any]] = None, handle_sigterm: bool = True, guard_stdout: bool = True,
        name: Optional[str] = None) -> Job:
    """Reads and checks this attempt's job; on a bad one prints a ``configuration`` failure and exits 2.

    The job comes from `document` (a standalone run's own), else the file `path`, else the file named by
    $ANASOD_JOB_FILE, else `stdin` (default: standard input). `defaults` and `overrides`: as `Job`.
    Protocol lines go to `stdout` when given (tests); otherwise to standard output, which `guard_stdout`
    keeps for them alone (everything else written there goes to standard error). `handle_sigterm`
    turns SIGTERM into a stop request (`Job.should_stop`, `Stopped` from the next `Job.report`)."""
    if stdout is None:
        stdout = _guard_stdout() if guard_stdout else sys.stdout
    if document is None:
        source = path or os.environ.get("ANASOD_JOB_FILE") or None
        try:
            if source:
                with open(source, encoding="utf-8") as f:
                    text = f.read()
            else:
                text = (stdin or sys.stdin).read()
            document = cast(Mapping[str, Any], _load_json(text))
        except (OSError, ValueError) as error:
            fail(f"cannot read the job ({source or 'standard input'}): {error}", "configuration", stdout, name)
    try:
        result = Job(document, defaults=defaults, overrides=overrides, stdout=stdout, name=name)
    except JobError as error:
        fail(f"bad job: {error}", "configuration", stdout, name)
    if handle_sigterm:
        result.install_sigterm_handler()
    return result


def run(main: Callable[[Job], Any], **options: Any) -> None:
    """Runs ``main(job)`` inside ``with anasod_trainer.job(**options) as job:`` (see `Job.__exit__`):
    the whole of a trainer's ``if __name__ == "__main__":`` block."""
    with job(**options) as current:
        main(current)
