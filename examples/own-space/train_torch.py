#!/usr/bin/env python3
"""A PyTorch trainer for the chain8 search space (for GPU workers): the network of train_numpy.py, on the
anasod_trainer library (python/; imported from this repository when it is not installed).

The same network (chain_space.py: dense stem + ReLU, the job's 8 layers of width H, dense classifier), the
same initialisation scales, the same data and validation split, and the same training (SGD with momentum
0.9, weight decay 5e-4 on weight matrices, gradients clipped to norm 5, cosine schedule); its numbers differ
from train_numpy.py's only by the random streams and float rounding. Runs on CUDA when there is a GPU (the
worker's --gpus slot sets CUDA_VISIBLE_DEVICES and the job's ``device``), else on the CPU. A worker without
PyTorch says so as a ``data`` failure (that worker gets no more jobs; the study goes on elsewhere).

    anasod worker ... --gpus auto --trainer-command "python3 examples/own-space/train_torch.py"
    python3 examples/own-space/train_torch.py --arch '|dense_relu|identity|residual|bottleneck|dense_tanh|identity|residual|dense_relu|' --epochs 1
"""

import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import anasod_trainer
except ImportError:  # run from the repository without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))
    import anasod_trainer

NAME = "train_torch"
try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as _error:  # this worker lacks a library: its problem, not the study's
    anasod_trainer.fail(f"needs PyTorch and numpy ({_error}); install them with: python3 -m pip install torch numpy",
                        "data", name=NAME)

sys.path.insert(0, HERE)
import chain_space  # noqa: E402

WEIGHT_DECAY = 5e-4
MOMENTUM = 0.9
CLIP = 5.0


def linear(fan_in, fan_out, gain, generator):
    """A dense layer initialised as train_numpy.py's: N(0, gain^2 / fan_in) weights, zero bias."""
    layer = nn.Linear(fan_in, fan_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(fan_out, fan_in, generator=generator) * (gain / math.sqrt(fan_in)))
        layer.bias.zero_()
    return layer


class Dense(nn.Module):
    """relu(x W + b) or tanh(x W + b)."""

    def __init__(self, width, act, generator):
        super().__init__()
        self.act = act
        self.linear = linear(width, width, math.sqrt(2.0) if act == "relu" else 1.0, generator)

    def forward(self, x):
        z = self.linear(x)
        return F.relu(z) if self.act == "relu" else torch.tanh(z)


class Residual(nn.Module):
    """x + relu(x) W + b."""

    def __init__(self, width, generator):
        super().__init__()
        self.linear = linear(width, width, 0.5, generator)

    def forward(self, x):
        return x + self.linear(F.relu(x))


class Bottleneck(nn.Module):
    """x + relu(x W1 + b1) W2 + b2, through H/4 units."""

    def __init__(self, width, generator):
        super().__init__()
        inner = max(1, width // 4)
        self.down = linear(width, inner, math.sqrt(2.0), generator)
        self.up = linear(inner, width, 0.5, generator)

    def forward(self, x):
        return x + self.up(F.relu(self.down(x)))


def make_layer(op, width, generator):
    """One chain layer by its operation name (chain_space.OPERATIONS)."""
    if op == "identity":
        return nn.Identity()
    if op in ("dense_relu", "dense_tanh"):
        return Dense(width, op[len("dense_"):], generator)
    if op == "residual":
        return Residual(width, generator)
    if op == "bottleneck":
        return Bottleneck(width, generator)
    raise ValueError(f"unknown operation '{op}' ({', '.join(chain_space.OPERATIONS)})")


class Chain(nn.Module):
    """Dense stem with ReLU -> the chain's layers -> dense classifier (logits)."""

    def __init__(self, ops, inputs, width, classes, generator):
        super().__init__()
        self.stem = linear(inputs, width, math.sqrt(2.0), generator)
        self.layers = nn.Sequential(*[make_layer(op, width, generator) for op in ops])
        self.classifier = linear(width, classes, 1.0, generator)

    def forward(self, x):
        return self.classifier(self.layers(F.relu(self.stem(x))))

    def macs(self):
        """Multiply-adds of one image's forward pass (the dense layers': in x out each)."""
        return sum(m.in_features * m.out_features for m in self.modules() if isinstance(m, nn.Linear))


def error_rate(model, data, batch=4096):
    """The error in percent on (features, labels) tensors; None without data."""
    if data is None:
        return None
    x, y = data
    model.eval()
    wrong = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            wrong += (model(x[i:i + batch]).argmax(1) != y[i:i + batch]).sum().item()
    model.train()
    return 100.0 * wrong / len(x)


def train(job, data_dir, pool=True):
    """Trains the job's cell and prints its progress and result (or a classed failure)."""
    ops = chain_space.chain_ops(job)
    width = chain_space.width(job)
    epochs = job.epochs if job.epochs is not None else chain_space.DEFAULTS["epochs"]
    batch = job.batch_size or chain_space.DEFAULTS["batch_size"]
    learning_rate = job.learning_rate if job.learning_rate is not None else chain_space.DEFAULTS["learning_rate"]
    if epochs < 0 or batch < 1 or not learning_rate > 0:
        job.fail(f"epochs {epochs}, batch_size {batch}, learning_rate {learning_rate}: out of range", "configuration")
    cuda = torch.cuda.is_available()
    if job.device is not None and not cuda:
        job.log(f"the job names GPU {job.device}, but PyTorch sees no CUDA device: training on the CPU")
    device = torch.device("cuda" if cuda else "cpu")
    seed = job.seed & 0xFFFF_FFFF_FFFF
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)

    data = chain_space.prepare(job, data_dir, pool)

    def tensors(pair):
        return None if pair is None else (torch.from_numpy(pair[0]).to(device),
                                          torch.from_numpy(pair[1].astype(np.int64)).to(device))

    (x, y), validation, test = tensors(data["train"]), tensors(data["validation"]), tensors(data["test"])
    generator = torch.Generator().manual_seed(seed)
    model = Chain(ops, x.shape[1], width, chain_space.CLASSES, generator).to(device)
    parameters = sum(p.numel() for p in model.parameters())
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    biases = [m.bias for m in model.modules() if isinstance(m, nn.Linear)]
    optimizer = torch.optim.SGD([{"params": weights, "weight_decay": WEIGHT_DECAY},
                                 {"params": biases, "weight_decay": 0.0}], lr=learning_rate, momentum=MOMENTUM)
    steps = max(1, epochs * math.ceil(len(x) / batch))
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / steps)))
    job.log(f"{'|'.join(ops)}: width {width}, {parameters} parameters, {model.macs()} multiply-adds/image, "
            f"{len(x)} training images of {x.shape[1]} features on {device}"
            + (f" ({torch.cuda.get_device_name(0)})" if cuda else ""))

    started = time.time()
    validation_error = 100.0
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(x), generator=generator).to(device)
        losses = []
        for i in range(0, len(x), batch):
            job.check_stop()  # SIGTERM: a quiet exit (143) at the end of this batch
            index = order[i:i + batch]
            loss = F.cross_entropy(model(x[index]), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), CLIP)
            optimizer.step()
            schedule.step()
            losses.append(loss.detach())
        train_loss = torch.stack(losses).mean().item() if losses else float("nan")
        if not math.isfinite(train_loss):
            job.fail("the training loss diverged (not finite)", kind="architecture")
        validation_error = error_rate(model, validation)
        job.report(epoch, val_error=validation_error, loss=train_loss, seconds=time.time() - started)
    train_seconds = time.time() - started
    test_error = error_rate(model, test)
    model.eval()
    with torch.no_grad():
        one = validation[0][:1]
        latency = anasod_trainer.measure_latency_ms(lambda: model(one),
                                                    synchronize=torch.cuda.synchronize if cuda else None)
    memory = torch.cuda.max_memory_allocated() / 2 ** 20 if cuda else anasod_trainer.peak_memory_mb()
    job.result(validation_error, test_error=test_error, params=parameters, flops=2 * model.macs(),
               train_seconds=train_seconds, latency_ms=latency, memory_mb=memory, device=str(device))


def main():
    args = chain_space.arguments(__doc__.split("\n")[0])
    job = chain_space.read_job(args, NAME)
    with job:
        train(job, job.data_directory(args.data_dir, chain_space.FMNIST_DIR), pool=not args.full_resolution)


if __name__ == "__main__":
    main()
