"""The chain8 search space's shared parts: its operations, the job's checks, and the data (NumPy only).

Imported by train_numpy.py and train_torch.py, the two trainers of this example. chain8 is a chain of 8
layers of width H (the job's ``channels``, default 64) between a dense stem and a softmax classifier; each
layer is one of five operations (x: the layer's input, W, b: its weights and bias):

=============  ===============================  ============================
operation      what it computes                 parameters / multiply-adds
=============  ===============================  ============================
identity       x                                0
dense_relu     relu(x W + b)                    H^2 + H  /  H^2
dense_tanh     tanh(x W + b)                    H^2 + H  /  H^2
residual       x + relu(x) W + b                H^2 + H  /  H^2
bottleneck     x + relu(x W1 + b1) W2 + b2      H^2/2 + H/4 + H  /  H^2/2  (W1: H x H/4)
=============  ===============================  ============================

The network: Fashion-MNIST images, 2 x 2 average-pooled to 14 x 14 (``--full-resolution``: 28 x 28) and
flattened, standardised with the training images' mean and deviation -> dense stem to H, ReLU -> the 8
layers -> dense classifier to 10 classes, softmax. The job names the cell as ``slots`` (slot i: source i,
target i + 1), the architecture string ``|dense_relu|identity|...|`` and the space's definition.
"""

import argparse
import gzip
import os
import struct
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

try:
    import anasod_trainer
except ImportError:  # run from the repository without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                                    "python"))
    import anasod_trainer

NAME = "chain8"
OPERATIONS = ("identity", "dense_relu", "dense_tanh", "residual", "bottleneck")
LENGTH = 8
#: The space's definition, as a job's ``space_definition`` carries it.
DEFINITION: Dict[str, Any] = {"name": NAME, "operations": list(OPERATIONS), "slots": LENGTH, "cell_types": ["cell"],
                              "wiring": "chain"}
FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
DATASETS = ("fashion-mnist",)
CLASSES = 10
#: What a standalone run (and a job's null settings) train with.
DEFAULTS: Dict[str, Any] = {"dataset": "fashion-mnist", "channels": 64, "epochs": 3, "batch_size": 128,
                            "learning_rate": 0.05, "train_limit": 10000, "validation_size": 5000, "test_limit": None,
                            "seed": 0}

Arrays = Tuple[np.ndarray, np.ndarray]


def standalone_document(arch: str) -> Dict[str, Any]:
    """The job of a standalone run (``--arch '|dense_relu|...|'``): a chain of as many layers as it names."""
    length = len([op for op in arch.strip().strip("|").split("|") if op.strip()])
    definition = dict(DEFINITION, slots=length, name=f"chain{length}")
    return {"protocol": 1, "space": definition["name"], "architecture": arch, "space_definition": definition}


def arguments(description: str, argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The command line of both trainers (standalone mode: --arch and the settings)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--job", help="the job file (default: $ANASOD_JOB_FILE, else standard input)")
    parser.add_argument("--arch", help="train this cell ('|dense_relu|identity|...|') without a job")
    parser.add_argument("--data-dir", dest="data_dir",
                        help=f"the Fashion-MNIST folder (default: $ANASOD_DATA_DIR, else {FMNIST_DIR})")
    parser.add_argument("--full-resolution", action="store_true", help="28 x 28 inputs instead of 14 x 14")
    for key, kind in (("channels", int), ("epochs", int), ("batch_size", int), ("learning_rate", float),
                      ("train_limit", int), ("validation_size", int), ("test_limit", int), ("seed", int)):
        parser.add_argument("--" + key.replace("_", "-"), dest=key, type=kind)
    return parser.parse_args(argv)


def read_job(args: argparse.Namespace, name: str) -> anasod_trainer.Job:
    """--arch's job, else the worker's; DEFAULTS fill null settings, the command line's win."""
    keys = ("channels", "epochs", "batch_size", "learning_rate", "train_limit", "validation_size", "test_limit", "seed")
    return anasod_trainer.job(args.job, document=standalone_document(args.arch) if args.arch else None,
                              defaults=DEFAULTS, overrides={k: getattr(args, k) for k in keys}, name=name)


def chain_ops(job: anasod_trainer.Job) -> List[str]:
    """The job's layers, checked: a chain (slot i reads node i, feeds node i + 1) of this space's
    operations, as long as the definition says. A `Failure` of class configuration otherwise."""
    definition = job.definition or {}
    if definition.get("wiring", "chain") != "chain" or (not job.definition and job.space != NAME):
        raise anasod_trainer.Failure(f"this trainer builds chains of layers ({NAME}), not the space '{job.space}'",
                                     kind="configuration")
    try:
        cells = job.slots
    except anasod_trainer.JobError as error:
        raise anasod_trainer.Failure(str(error), kind="configuration") from None
    if len(cells) != 1:
        raise anasod_trainer.Failure(f"a chain has one cell type, not {list(cells)}", kind="configuration")
    slots = next(iter(cells.values()))
    for i, slot in enumerate(slots):
        if (slot.source, slot.target) not in ((i, i + 1), (None, None)):
            raise anasod_trainer.Failure(f"slot {i} ({slot.op}) reads node {slot.source} and feeds {slot.target}: "
                                         f"a chain's slot {i} reads {i} and feeds {i + 1}", kind="configuration")
    ops = [slot.op for slot in slots]
    unknown = sorted(set(ops) - set(OPERATIONS))
    if unknown:
        raise anasod_trainer.Failure(f"unknown operations {unknown} (this trainer has {', '.join(OPERATIONS)})",
                                     kind="configuration")
    expected = definition.get("slots", LENGTH if job.space == NAME else len(ops))
    if not ops or len(ops) != expected:
        raise anasod_trainer.Failure(f"the cell has {len(ops)} layers, the space {expected}", kind="configuration")
    return ops


def width(job: anasod_trainer.Job) -> int:
    """The layers' width H: the job's ``channels``, default 64 (4 at least: a bottleneck has H/4)."""
    value = job.channels if job.channels is not None else DEFAULTS["channels"]
    if not 4 <= value <= 65536:
        raise anasod_trainer.Failure(f"channels (the width) must be in 4...65536, got {value}", kind="configuration")
    return value


# -------------------------------------------------------------------------------------------------- data

def read_idx(path: str) -> np.ndarray:
    """An unsigned-byte IDX file (gzipped or not) as an array; `Failure` (data) when it is not one."""
    try:
        with (gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")) as f:
            data = f.read()
    except (OSError, EOFError) as error:
        raise anasod_trainer.Failure(f"cannot read {path}: {error}", kind="data") from None
    if len(data) < 4 or data[:3] != b"\x00\x00\x08":
        raise anasod_trainer.Failure(f"{path} is not an unsigned-byte IDX file", kind="data")
    dims = data[3]
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims]) if len(data) >= 4 + 4 * dims else ()
    body = data[4 + 4 * dims:]
    if not shape or len(body) != int(np.prod(shape)):
        raise anasod_trainer.Failure(f"{path} is truncated", kind="data")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def load_fashion_mnist(directory: str) -> Tuple[Arrays, Arrays]:
    """(training images, labels), (test images, labels) from the gzipped (or plain) IDX files in `directory`."""
    def pair(prefix: str) -> Arrays:
        for suffix in (".gz", ""):
            images = os.path.join(directory, f"{prefix}-images-idx3-ubyte{suffix}")
            if os.path.exists(images):
                x = read_idx(images)
                y = read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte{suffix}")).astype(np.int64)
                if x.ndim != 3 or len(x) != len(y) or (len(y) and y.max() >= CLASSES):
                    raise anasod_trainer.Failure(f"{images}: {x.shape} images for {len(y)} labels", kind="data")
                return x, y
        raise anasod_trainer.Failure(f"no Fashion-MNIST in {directory} (apt-get install dataset-fashion-mnist, or "
                                     "start the trainer with --data-dir or $ANASOD_DATA_DIR)", kind="data")

    return pair("train"), pair("t10k")


def features(images: np.ndarray, pool: bool) -> np.ndarray:
    """Images (n x 28 x 28 bytes) as float32 rows: 2 x 2 average-pooled (n x 196) or full (n x 784)."""
    x = images.astype(np.float32) / 255
    if pool:
        n, h, w = x.shape
        x = x[:, :h - h % 2, :w - w % 2].reshape(n, h // 2, 2, w // 2, 2).mean(axis=(2, 4))
    return x.reshape(len(x), -1)


def prepare(job: anasod_trainer.Job, directory: str, pool: bool = True) -> Dict[str, Optional[Arrays]]:
    """The job's data: ``train``, ``validation`` (held out of the training images, chosen by the job's
    seed) and ``test`` (None when ``test_limit`` is 0) as (features, labels), standardised with the
    training features' mean and deviation. `Failure` (configuration) for sizes out of range."""
    dataset = job.dataset or DEFAULTS["dataset"]
    if dataset not in DATASETS:
        raise anasod_trainer.Failure(f"this trainer reads {', '.join(DATASETS)}, not '{dataset}'", kind="configuration")
    (xs, ys), (xt, yt) = load_fashion_mnist(directory)
    validation = job.validation_size if job.validation_size is not None else DEFAULTS["validation_size"]
    if not 1 <= validation < len(xs):
        raise anasod_trainer.Failure(f"validation_size must be in 1...{len(xs) - 1}, got {validation}",
                                     kind="configuration")
    order = np.random.default_rng(np.random.SeedSequence([job.seed, 0xDA7A])).permutation(len(xs))
    held, rest = order[:validation], order[validation:]
    if job.train_limit is not None and job.train_limit > 0:
        rest = rest[:job.train_limit]
    if job.test_limit is not None and job.test_limit >= 0:
        xt, yt = xt[:job.test_limit], yt[:job.test_limit]
    train = features(xs[rest], pool)
    mean, deviation = float(train.mean()), float(train.std()) + 1e-6

    def standard(x: np.ndarray) -> np.ndarray:
        return ((x - mean) / deviation).astype(np.float32)

    return {"train": (standard(train), ys[rest]), "validation": (standard(features(xs[held], pool)), ys[held]),
            "test": (standard(features(xt, pool)), yt) if len(xt) else None}
