"""Tests of the chain8 trainers (unittest and numpy only; skipped where numpy is missing).

    python3 -m unittest discover -s examples/own-space        (or: python3 examples/own-space/test_train_numpy.py)

Every layer's hand-written backpropagation against central finite differences (in float64), the whole
network's loss gradient likewise, seeded determinism, and the trainer as a worker runs it: a job on
standard input, a tiny Fashion-MNIST-shaped data set written here, protocol lines on standard output.
train_torch.py is run too where PyTorch is installed (else: its missing PyTorch must be a data failure).
"""

import gzip
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from typing import Any, Callable, Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINER = os.path.join(HERE, "train_numpy.py")
TORCH_TRAINER = os.path.join(HERE, "train_torch.py")
HAS_TORCH = importlib.util.find_spec("torch") is not None
sys.path.insert(0, HERE)

try:
    import numpy as np
except ImportError:
    np = None  # type: ignore[assignment]

NEEDS_NUMPY = unittest.skipIf(np is None, "needs numpy (python3 -m pip install numpy): the chain8 trainer is NumPy only")
if np is not None:
    import chain_space
    import train_numpy as tn

CELL = ["dense_relu", "identity", "dense_tanh", "residual", "bottleneck", "identity", "dense_relu", "residual"]


def numeric_gradient(f: Callable[[], float], array: "np.ndarray", eps: float = 1e-6) -> "np.ndarray":
    """Central differences of f() with respect to every entry of `array` (changed in place, restored)."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(*array.shape):
        saved = array[index]
        array[index] = saved + eps
        up = f()
        array[index] = saved - eps
        down = f()
        array[index] = saved
        gradient[index] = (up - down) / (2 * eps)
    return gradient


@NEEDS_NUMPY
class GradientTests(unittest.TestCase):
    def assertClose(self, analytic: "np.ndarray", numeric: "np.ndarray", what: str) -> None:
        scale = max(1e-8, float(np.abs(analytic).max()), float(np.abs(numeric).max()))
        error = float(np.abs(analytic - numeric).max()) / scale
        self.assertLess(error, 1e-6, f"{what}: relative error {error:.2e}")

    def test_every_layer_against_finite_differences(self) -> None:
        rng = np.random.default_rng(5)
        for op in chain_space.OPERATIONS:
            with self.subTest(op=op):
                layer = tn.make_layer(op, 8, np.random.default_rng(1), np.float64)
                for p in layer.params:  # nonzero biases, so that they matter
                    p += rng.standard_normal(p.shape) * 0.1
                x = rng.standard_normal((5, 8))
                weights = rng.standard_normal((5, 8))  # the loss: sum(y * weights)

                def loss() -> float:
                    return float((layer.forward(x) * weights).sum())

                layer.forward(x)
                dx = layer.backward(weights.copy())
                grads = [g.copy() for g in layer.grads]
                self.assertClose(dx, numeric_gradient(loss, x), f"{op}: input")
                for k, (p, g) in enumerate(zip(layer.params, grads)):
                    self.assertClose(g, numeric_gradient(loss, p), f"{op}: parameter {k}")

    def test_the_classifier_and_the_whole_networks_loss(self) -> None:
        rng = np.random.default_rng(7)
        network = tn.Network(CELL, 12, 8, 4, np.random.default_rng(2), np.float64)
        for layer in network.layers:
            for p in layer.params:
                p += rng.standard_normal(p.shape) * 0.05
        x = rng.standard_normal((6, 12))
        y = rng.integers(0, 4, 6)

        def loss() -> float:
            return network.loss_and_gradients(x, y)

        loss()
        grads = [[g.copy() for g in layer.grads] for layer in network.layers]
        for i, layer in enumerate(network.layers):
            for k, p in enumerate(layer.params):
                self.assertClose(grads[i][k], numeric_gradient(loss, p), f"layer {i} parameter {k}")

    def test_sizes(self) -> None:
        network = tn.Network(["identity", "dense_relu", "bottleneck"], 196, 64, 10, np.random.default_rng(0))
        dense, bottleneck = 64 * 64 + 64, 64 * 16 + 16 + 16 * 64 + 64
        self.assertEqual(network.parameters, 196 * 64 + 64 + dense + bottleneck + 64 * 10 + 10)
        self.assertEqual(network.macs, 196 * 64 + 64 * 64 + 2 * 64 * 16 + 64 * 10)


def synthetic(n: int, seed: int) -> Tuple["np.ndarray", "np.ndarray"]:
    """Images whose class is written in their brightness pattern: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.integers(0, 60, (n, 28, 28))
    for c in range(10):
        images[labels == c, c * 2:c * 2 + 6, :] += 150
    return images.astype(np.uint8), labels.astype(np.uint8)


def write_idx(path: str, array: "np.ndarray") -> None:
    with gzip.open(path, "wb") as f:
        f.write(b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes())


def job(**changes: Any) -> Dict[str, Any]:
    document: Dict[str, Any] = {
        "protocol": 1, "study": "t", "job": 1, "attempt": 1, "space": "chain8", "architecture": "|" + "|".join(CELL) + "|",
        "slots": {"cell": [{"op": op, "source": i, "target": i + 1} for i, op in enumerate(CELL)]},
        "space_definition": {"name": "chain8", "operations": ["identity", "dense_relu", "dense_tanh", "residual",
                                                              "bottleneck"], "slots": 8, "cell_types": ["cell"],
                             "wiring": "chain"},
        "encoding": [], "seed": 12345678901234567890, "dataset": "fashion-mnist", "channels": 16, "cells": None,
        "epochs": 2, "batch_size": 32, "learning_rate": 0.05, "train_limit": 300, "validation_size": 100,
        "test_limit": 80, "settings": {"dataset": "fashion-mnist"}, "work_dir": "/tmp", "device": None,
        "deadline": 4102444800}
    document.update(changes)
    return document


@NEEDS_NUMPY
class TrainerTests(unittest.TestCase):
    folder: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.folder = tempfile.mkdtemp(prefix="chain8-data-")
        for prefix, n, seed in (("train", 500, 1), ("t10k", 100, 2)):
            images, labels = synthetic(n, seed)
            write_idx(os.path.join(cls.folder, f"{prefix}-images-idx3-ubyte.gz"), images)
            write_idx(os.path.join(cls.folder, f"{prefix}-labels-idx1-ubyte.gz"), labels)

    @classmethod
    def tearDownClass(cls) -> None:
        for name in os.listdir(cls.folder):
            os.remove(os.path.join(cls.folder, name))
        os.rmdir(cls.folder)

    def run_trainer(self, document: Optional[Dict[str, Any]], *flags: str, data_dir: Optional[str] = "",
                    trainer: str = TRAINER) -> Tuple[int, List[Dict[str, Any]], str]:
        environment = {k: v for k, v in os.environ.items() if k not in ("ANASOD_JOB_FILE", "ANASOD_DATA_DIR")}
        environment["PYTHONPATH"] = ""  # the trainer finds the library in the repository by itself
        command = [sys.executable, trainer, *flags]
        if data_dir is not None:
            command += ["--data-dir", data_dir or self.folder]
        run = subprocess.run(command, input=json.dumps(document) if document is not None else "", env=environment,
                             capture_output=True, text=True, timeout=60)
        return run.returncode, [json.loads(line) for line in run.stdout.splitlines() if line.strip()], run.stderr

    def test_a_job_trains_and_reports(self) -> None:
        code, out, err = self.run_trainer(job())
        self.assertEqual(code, 0, err)
        self.assertEqual([line["event"] for line in out], ["progress", "progress", "result"])
        self.assertEqual([line["epoch"] for line in out[:2]], [1, 2])
        result = out[-1]
        self.assertLess(result["validation_error"], 50)  # the synthetic classes are easy
        self.assertIsNotNone(result["test_error"])
        network = tn.Network(CELL, 196, 16, 10, np.random.default_rng(0))
        self.assertEqual((result["parameters"], result["flops"]), (network.parameters, 2 * network.macs))
        # Seeded: the same job gives the same numbers; another seed other ones.
        again = self.run_trainer(job())[1][-1]
        self.assertEqual((again["validation_error"], again["test_error"]), (result["validation_error"], result["test_error"]))
        self.assertEqual(self.run_trainer(job())[1][0]["train_loss"], out[0]["train_loss"])
        other = self.run_trainer(job(seed=2))[1]
        self.assertNotEqual(other[0]["train_loss"], out[0]["train_loss"])

    def test_standalone_mode(self) -> None:
        code, out, err = self.run_trainer(None, "--arch", "|dense_relu|bottleneck|", "--epochs", "1", "--train-limit",
                                          "200", "--validation-size", "50", "--test-limit", "0", "--channels", "8")
        self.assertEqual(code, 0, err)
        self.assertEqual([line["event"] for line in out], ["progress", "result"])
        self.assertNotIn("test_error", out[-1])

    def test_failures_and_their_classes(self) -> None:
        bad_slots = job(slots={"cell": [{"op": "dense_relu", "source": 0, "target": 2}] * 8})
        cases = [(job(data_dir="/etc"), 2, "configuration"), (job(dataset="cifar10"), 2, "configuration"),
                 (job(architecture="|conv|", slots={"cell": [{"op": "conv", "source": 0, "target": 1}]}), 2,
                  "configuration"), (bad_slots, 2, "configuration"), (job(validation_size=500), 2, "configuration"),
                 (job(space="nb201", space_definition=None, slots=None, architecture="|a~0|+|b~0|c~1|"), 2,
                  "configuration"), (job(channels=2), 2, "configuration")]
        for document, status, kind in cases:
            with self.subTest(document={k: document[k] for k in ("space", "architecture", "channels", "dataset")}):
                code, out, err = self.run_trainer(document)
                self.assertEqual(code, status, err)
                self.assertEqual([line["event"] for line in out], ["failure"])
                self.assertEqual(out[0]["class"], kind)
        code, out, _ = self.run_trainer(job(), data_dir=os.path.join(self.folder, "missing"))
        self.assertEqual((code, out[0]["class"]), (3, "data"))
        self.assertIn("no Fashion-MNIST", out[0]["reason"])

    def test_a_diverging_cell_is_the_architectures_failure(self) -> None:
        code, out, _ = self.run_trainer(job(learning_rate=1e30))
        self.assertEqual(code, 4)
        self.assertEqual(out[-1]["class"], "architecture")


    def test_the_pytorch_trainer(self) -> None:
        code, out, err = self.run_trainer(job(), trainer=TORCH_TRAINER)
        if not HAS_TORCH:
            self.assertEqual((code, out[0]["class"]), (3, "data"), err)
            self.assertIn("needs PyTorch", out[0]["reason"])
            return
        self.assertEqual(code, 0, err)
        self.assertEqual([line["event"] for line in out], ["progress", "progress", "result"])
        mine = self.run_trainer(job())[1][-1]
        self.assertEqual((out[-1]["parameters"], out[-1]["flops"]), (mine["parameters"], mine["flops"]))
        self.assertLess(out[-1]["validation_error"], 50)


if __name__ == "__main__":
    unittest.main()
