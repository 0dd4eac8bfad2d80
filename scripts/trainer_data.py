"""The data sets of the reference trainer (scripts/train_cell.py), and where they are read from.

A job names a data set (`fashion-mnist`, `cifar10`), never a folder: where the files are is the worker
operator's decision, made on the trainer's own command line (`--data-dir DIR`, e.g. in the worker's
`--trainer-command`) or in its environment (`$ANASOD_DATA_DIR`). A job that carries a `data_dir` is
refused as a `configuration` failure (cluster/TRAINER.md).

CIFAR-10's python batches are pickles. They are read only from the operator's folder, and even then with
an unpickler that builds nothing but dicts, lists, bytes, numbers and numpy arrays: a planted file that
names any other global (`os.system`, ...) is refused, never run.

Fashion-MNIST: the gzipped IDX files of Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
or the operator's folder. CIFAR-10: cifar-10-batches-py (pickles) or cifar-10-batches-bin in that folder.
Needs only numpy.
"""
import gzip
import os
import pickle
import re
import struct

import numpy as np

FMNIST_DIR = "/usr/share/datasets/fashion-mnist"
DATA_DIR_VARIABLE = "ANASOD_DATA_DIR"
DATASETS = ("fashion-mnist", "cifar10")


class DataError(Exception):
    """A data set that cannot be read, with the failure class it means (cluster/TRAINER.md)."""

    def __init__(self, message, failure_class="data"):
        super().__init__(message)
        self.message = message
        self.failure_class = failure_class


def data_directory(job, flag=None, environ=None):
    """The folder the operator set for data (`--data-dir`, else `$ANASOD_DATA_DIR`; None: the defaults).

    A job never sets it: one that carries a `data_dir` is refused (a job names a data set, not a path)."""
    if job.get("data_dir") is not None:
        raise DataError("the job sets 'data_dir', and a job names a data set, never a folder: the worker's operator "
                        f"sets the data folder with the trainer's --data-dir or ${DATA_DIR_VARIABLE}",
                        failure_class="configuration")
    environ = os.environ if environ is None else environ
    return flag or environ.get(DATA_DIR_VARIABLE) or None


def check_dataset(name):
    """A data set the trainer reads, by plain name; anything else is the study's mistake."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}", name):
        raise DataError(f"dataset {str(name)[:200]!r} is not a data-set name", failure_class="configuration")
    if name not in DATASETS:
        raise DataError(f"unknown dataset '{name}' ({', '.join(DATASETS)})", failure_class="configuration")
    return name


def read_idx(path):
    try:
        with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
            data = f.read()
    except OSError as error:
        raise DataError(f"cannot read {path}: {error}")
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise DataError(f"{path} is not an unsigned-byte IDX file")
    dims = data[3]
    if len(data) < 4 + 4 * dims:
        raise DataError(f"{path} is truncated in its header")
    shape = struct.unpack(f">{dims}I", data[4:4 + 4 * dims])
    body = data[4 + 4 * dims:]
    if len(body) != int(np.prod(shape)):
        raise DataError(f"{path} is truncated: {len(body)} bytes for shape {shape}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def fashion_mnist(directory):
    directory = directory or FMNIST_DIR

    def pair(prefix):
        for suffix in (".gz", ""):
            images = os.path.join(directory, f"{prefix}-images-idx3-ubyte{suffix}")
            if os.path.exists(images):
                return (read_idx(images)[:, None, :, :],
                        read_idx(os.path.join(directory, f"{prefix}-labels-idx1-ubyte{suffix}")).astype(np.int64))
        raise DataError(f"no Fashion-MNIST in {directory} (apt-get install dataset-fashion-mnist, or start the "
                        f"trainer with --data-dir or ${DATA_DIR_VARIABLE})")

    return pair("train"), pair("t10k"), 10


class ArrayUnpickler(pickle.Unpickler):
    """Builds plain containers and numpy arrays only: every other global is refused, so a pickle cannot run
    code (the restriction of the `pickle` documentation's "Restricting Globals")."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
        ("_codecs", "encode"),  # bytes in protocol-2 pickles: text to bytes, nothing else
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to build '{module}.{name}' (only numpy arrays are read)")


def load_cifar_batch(path):
    """One CIFAR-10 python batch: images (n × 3 × 32 × 32, uint8) and labels (n, int64)."""
    try:
        with open(path, "rb") as f:
            d = ArrayUnpickler(f, encoding="bytes").load()
        data = np.asarray(d[b"data"], dtype=np.uint8)
        labels = np.array(d[b"labels"], dtype=np.int64)
    except OSError as error:
        raise DataError(f"cannot read {path}: {error}")
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
        raise DataError(f"{path} is not a CIFAR-10 python batch: {error}")
    if data.ndim != 2 or data.shape[1] != 3072 or len(labels) != len(data):
        raise DataError(f"{path} is not a CIFAR-10 python batch: data of shape {data.shape}, {len(labels)} labels")
    return data.reshape(-1, 3, 32, 32), labels


def load_cifar_binary(path):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size % 3073:
        raise DataError(f"{path} is truncated ({raw.size} bytes, not a multiple of 3073)")
    raw = raw.reshape(-1, 3073)
    return raw[:, 1:].reshape(-1, 3, 32, 32), raw[:, 0].astype(np.int64)


def cifar10(directory):
    if not directory:
        raise DataError("CIFAR-10 needs a data folder: start the trainer with --data-dir DIR (or set "
                        f"${DATA_DIR_VARIABLE}) naming the folder with cifar-10-batches-py or cifar-10-batches-bin",
                        failure_class="configuration")
    for sub, first, load, test in (("cifar-10-batches-py", "data_batch_1", load_cifar_batch, "test_batch"),
                                   ("cifar-10-batches-bin", "data_batch_1.bin", load_cifar_binary, "test_batch.bin")):
        for folder in (os.path.join(directory, sub), directory):
            if os.path.exists(os.path.join(folder, first)):
                suffix = first[len("data_batch_1"):]
                train = [load(os.path.join(folder, f"data_batch_{i}{suffix}")) for i in range(1, 6)]
                return ((np.concatenate([t[0] for t in train]), np.concatenate([t[1] for t in train])),
                        load(os.path.join(folder, test)), 10)
    raise DataError(f"no CIFAR-10 in {directory} (expected cifar-10-batches-py or cifar-10-batches-bin)")


def load(dataset, directory):
    """(train images, labels), (test images, labels), classes of `dataset` from the operator's folder."""
    if check_dataset(dataset) == "fashion-mnist":
        return fashion_mnist(directory)
    return cifar10(directory)
