#!/usr/bin/env python3
"""A NumPy-only trainer for the chain8 search space: an external trainer of ANASOD Cluster, written on the
anasod_trainer library (python/; imported from this repository when it is not installed).

The network (chain_space.py): Fashion-MNIST pooled to 14 x 14 and flattened -> dense stem to width H
(the job's ``channels``, default 64), ReLU -> the job's 8 layers (identity, dense_relu, dense_tanh, residual,
bottleneck) -> dense classifier, softmax. Training: minibatch SGD with momentum 0.9, weight decay 5e-4 on the
weight matrices, gradients clipped to a global norm of 5, a cosine learning-rate schedule over all steps, backpropagation written out by hand
(checked against finite differences in test_train_numpy.py). The objective is the validation error on
images held out of the training set (chosen by the job's seed), reported after every epoch; the result adds
the test error, the parameter count and the FLOPs (multiply-adds of one image's forward pass). The same
job seed gives the same result.

Data: the gzipped IDX files of Fashion-MNIST in --data-dir DIR, else $ANASOD_DATA_DIR, else Debian's
/usr/share/datasets/fashion-mnist (a job never names a folder: one with ``data_dir`` is refused).

    anasod worker ... --trainer-command "python3 examples/own-space/train_numpy.py"
    python3 examples/own-space/train_numpy.py --arch '|dense_relu|identity|residual|bottleneck|dense_tanh|identity|residual|dense_relu|' --epochs 1

Uses one BLAS thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise (a worker runs one trainer
per slot; this network is too small to gain from more).
"""

import math
import os
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import anasod_trainer
except ImportError:  # run from the repository without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))
    import anasod_trainer

NAME = "train_numpy"
try:
    import numpy as np
except ImportError as _error:  # this worker lacks a library: its problem, not the study's
    anasod_trainer.fail(f"needs numpy ({_error}); install it with: python3 -m pip install numpy", "data", name=NAME)

sys.path.insert(0, HERE)
import chain_space  # noqa: E402

WEIGHT_DECAY = 5e-4
MOMENTUM = 0.9
CLIP = 5.0


# ------------------------------------------------------------------------------------------------ layers

class Layer:
    """A layer with hand-written backpropagation: `forward` keeps what `backward` needs; `backward` takes
    the loss's gradient with respect to the output, fills `grads` (one per `params` entry) and returns
    the gradient with respect to the input. `decay` marks the parameters that get weight decay."""

    params: List[np.ndarray]
    grads: List[np.ndarray]
    decay: List[bool]
    macs: int

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _weight(rng: np.random.Generator, fan_in: int, fan_out: int, gain: float, dtype: Any) -> np.ndarray:
    return (rng.standard_normal((fan_in, fan_out)) * (gain / math.sqrt(fan_in))).astype(dtype)


class Identity(Layer):
    """y = x."""

    def __init__(self) -> None:
        self.params, self.grads, self.decay, self.macs = [], [], [], 0

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy


class Dense(Layer):
    """y = act(x W + b), act: none (the classifier), relu or tanh."""

    def __init__(self, fan_in: int, fan_out: int, act: str, rng: np.random.Generator, dtype: Any) -> None:
        gain = {"none": 1.0, "relu": math.sqrt(2.0), "tanh": 1.0}[act]
        self.act = act
        self.params = [_weight(rng, fan_in, fan_out, gain, dtype), np.zeros(fan_out, dtype)]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.decay = [True, False]
        self.macs = fan_in * fan_out

    def forward(self, x: np.ndarray) -> np.ndarray:
        w, b = self.params
        z = x @ w + b
        y: np.ndarray = np.maximum(z, 0) if self.act == "relu" else np.tanh(z) if self.act == "tanh" else z
        self.x, self.y = x, y
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self.act == "relu":
            dz = dy * (self.y > 0)
        elif self.act == "tanh":
            dz = dy * (1 - self.y * self.y)
        else:
            dz = dy
        self.grads[0][...] = self.x.T @ dz
        self.grads[1][...] = dz.sum(axis=0)
        result: np.ndarray = dz @ self.params[0].T
        return result


class Residual(Layer):
    """y = x + relu(x) W + b (a pre-activation residual layer; W starts small, so y starts near x)."""

    def __init__(self, width: int, rng: np.random.Generator, dtype: Any) -> None:
        self.params = [_weight(rng, width, width, 0.5, dtype), np.zeros(width, dtype)]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.decay = [True, False]
        self.macs = width * width

    def forward(self, x: np.ndarray) -> np.ndarray:
        w, b = self.params
        self.a = np.maximum(x, 0)
        y: np.ndarray = x + self.a @ w + b
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        self.grads[0][...] = self.a.T @ dy
        self.grads[1][...] = dy.sum(axis=0)
        result: np.ndarray = dy + (dy @ self.params[0].T) * (self.a > 0)
        return result


class Bottleneck(Layer):
    """y = x + relu(x W1 + b1) W2 + b2, through H/4 units (half the cost of a dense layer)."""

    def __init__(self, width: int, rng: np.random.Generator, dtype: Any) -> None:
        inner = max(1, width // 4)
        self.params = [_weight(rng, width, inner, math.sqrt(2.0), dtype), np.zeros(inner, dtype),
                       _weight(rng, inner, width, 0.5, dtype), np.zeros(width, dtype)]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.decay = [True, False, True, False]
        self.macs = 2 * width * inner

    def forward(self, x: np.ndarray) -> np.ndarray:
        w1, b1, w2, b2 = self.params
        self.x = x
        self.h = np.maximum(x @ w1 + b1, 0)
        y: np.ndarray = x + self.h @ w2 + b2
        return y

    def backward(self, dy: np.ndarray) -> np.ndarray:
        w1, _, w2, _ = self.params
        self.grads[2][...] = self.h.T @ dy
        self.grads[3][...] = dy.sum(axis=0)
        dz = (dy @ w2.T) * (self.h > 0)
        self.grads[0][...] = self.x.T @ dz
        self.grads[1][...] = dz.sum(axis=0)
        result: np.ndarray = dy + dz @ w1.T
        return result


def make_layer(op: str, width: int, rng: np.random.Generator, dtype: Any = np.float32) -> Layer:
    """One chain layer of width `width` by its operation name (chain_space.OPERATIONS)."""
    if op == "identity":
        return Identity()
    if op == "dense_relu":
        return Dense(width, width, "relu", rng, dtype)
    if op == "dense_tanh":
        return Dense(width, width, "tanh", rng, dtype)
    if op == "residual":
        return Residual(width, rng, dtype)
    if op == "bottleneck":
        return Bottleneck(width, rng, dtype)
    raise ValueError(f"unknown operation '{op}' ({', '.join(chain_space.OPERATIONS)})")


# ----------------------------------------------------------------------------------------------- network

class Network:
    """Dense stem with ReLU -> the chain's layers -> dense classifier; softmax cross-entropy."""

    def __init__(self, ops: Sequence[str], inputs: int, width: int, classes: int, rng: np.random.Generator,
                 dtype: Any = np.float32) -> None:
        self.layers: List[Layer] = [Dense(inputs, width, "relu", rng, dtype)]
        self.layers += [make_layer(op, width, rng, dtype) for op in ops]
        self.layers.append(Dense(width, classes, "none", rng, dtype))
        self.velocity = [np.zeros_like(p) for layer in self.layers for p in layer.params]

    @property
    def parameters(self) -> int:
        """The number of weights and biases."""
        return sum(p.size for layer in self.layers for p in layer.params)

    @property
    def macs(self) -> int:
        """Multiply-adds of one image's forward pass."""
        return sum(layer.macs for layer in self.layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """The logits of a batch of feature rows."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> float:
        """The batch's mean cross-entropy; fills every layer's `grads` (weight decay not included)."""
        logits = self.forward(x)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        n = len(x)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[np.arange(n), y]))
        grad = exp / total
        grad[np.arange(n), y] -= 1
        grad /= n
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return loss

    def step(self, learning_rate: float) -> None:
        """One SGD step with momentum and weight decay on the weight matrices, the gradient scaled down to
        a global norm of CLIP at most (deep chains of residual layers diverge without it at higher rates)."""
        norm = math.sqrt(sum(float(np.vdot(g, g)) for layer in self.layers for g in layer.grads))
        scale = CLIP / norm if norm > CLIP else 1.0
        i = 0
        for layer in self.layers:
            for p, g, decay in zip(layer.params, layer.grads, layer.decay):
                v = self.velocity[i]
                v *= MOMENTUM
                v += scale * g
                if decay:
                    v += WEIGHT_DECAY * p
                p -= learning_rate * v
                i += 1

    def error(self, data: Optional[Tuple[np.ndarray, np.ndarray]], batch: int = 1000) -> Optional[float]:
        """The error rate in percent on (features, labels); None without data."""
        if data is None:
            return None
        x, y = data
        wrong = 0
        for i in range(0, len(x), batch):
            wrong += int((self.forward(x[i:i + batch]).argmax(axis=1) != y[i:i + batch]).sum())
        return 100.0 * wrong / len(x)


def fit(network: Network, train: Tuple[np.ndarray, np.ndarray], validation: Tuple[np.ndarray, np.ndarray],
        epochs: int, batch: int, learning_rate: float, rng: np.random.Generator,
        report: Callable[[int, float, float, float], None], check_stop: Callable[[], None] = lambda: None) -> float:
    """Trains `network` (cosine schedule over all steps); calls ``report(epoch, validation error, train
    loss, seconds)`` after each epoch. Returns the last validation error (NaN once the loss diverged)."""
    x, y = train
    steps = max(1, epochs * math.ceil(len(x) / batch))
    step = 0
    validation_error = 100.0
    started = time.time()
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))
        losses = []
        for i in range(0, len(x), batch):
            check_stop()
            index = order[i:i + batch]
            loss = network.loss_and_gradients(x[index], y[index])
            if not math.isfinite(loss):
                return float("nan")
            network.step(learning_rate * 0.5 * (1 + math.cos(math.pi * step / steps)))
            losses.append(loss)
            step += 1
        validation_error = network.error(validation) or 0.0
        report(epoch, validation_error, float(np.mean(losses)) if losses else float("nan"), time.time() - started)
    return validation_error


# -------------------------------------------------------------------------------------------- the trainer

def train(job: anasod_trainer.Job, data_dir: str, pool: bool = True) -> None:
    """Trains the job's cell and prints its progress and result (or a classed failure)."""
    ops = chain_space.chain_ops(job)
    width = chain_space.width(job)
    epochs = job.epochs if job.epochs is not None else chain_space.DEFAULTS["epochs"]
    batch = job.batch_size or chain_space.DEFAULTS["batch_size"]
    learning_rate = job.learning_rate if job.learning_rate is not None else chain_space.DEFAULTS["learning_rate"]
    if epochs < 0 or batch < 1 or not learning_rate > 0:
        job.fail(f"epochs {epochs}, batch_size {batch}, learning_rate {learning_rate}: out of range", "configuration")
    data = chain_space.prepare(job, data_dir, pool)
    train_data, validation = data["train"], data["validation"]
    assert train_data is not None and validation is not None
    seeds = np.random.SeedSequence([job.seed, 1]).spawn(2)
    network = Network(ops, train_data[0].shape[1], width, chain_space.CLASSES, np.random.default_rng(seeds[0]))
    job.log(f"{'|'.join(ops)}: width {width}, {network.parameters} parameters, {network.macs} multiply-adds/image, "
            f"{len(train_data[0])} training images of {train_data[0].shape[1]} features")
    started = time.time()

    def report(epoch: int, error: float, loss: float, seconds: float) -> None:
        job.report(epoch, val_error=error, loss=loss, seconds=seconds)

    validation_error = fit(network, train_data, validation, epochs, batch, learning_rate,
                           np.random.default_rng(seeds[1]), report, job.check_stop)
    if not math.isfinite(validation_error):
        job.fail("the training loss diverged (not finite)", kind="architecture")
    train_seconds = time.time() - started
    one = validation[0][:1]
    job.result(validation_error, test_error=network.error(data["test"]), params=network.parameters,
               flops=2 * network.macs, train_seconds=train_seconds,
               latency_ms=anasod_trainer.measure_latency_ms(lambda: network.forward(one)),
               memory_mb=anasod_trainer.peak_memory_mb())


def main() -> None:
    args = chain_space.arguments(__doc__.split("\n")[0])
    job = chain_space.read_job(args, NAME)
    with job:
        train(job, job.data_directory(args.data_dir, chain_space.FMNIST_DIR), pool=not args.full_resolution)


if __name__ == "__main__":
    main()
