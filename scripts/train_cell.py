#!/usr/bin/env python3
"""Reference PyTorch trainer for NB201 cells and DARTS genotypes: an external trainer of ANASOD Cluster.

Speaks the trainer protocol of cluster/TRAINER.md through the anasod_trainer library (python/, imported
from this repository when it is not installed): the job arrives as JSON on standard input (or in the file
named by --job or $ANASOD_JOB_FILE); one JSON line per epoch goes to standard output ({"event": "progress",
...}) and one at the end ({"event": "result", ...}), or a failure with its class; logs go to standard
error. SIGTERM stops it at the end of the batch (exit status 143, no result).

The network is the NB201 macro skeleton (Dong & Yang, ICLR 2020) around one cell, as the Swift trainer
builds it: stem Conv3x3 + BN; three stages of N cells on C, 2C, 4C channels; ResNet reduction blocks
between stages; BN + ReLU, global average pooling, linear classifier. Training: SGD with Nesterov
momentum 0.9, weight decay 5e-4 on convolution and linear weights, cosine schedule over all steps; the
objective is the validation error on images held out of the training set (seeded), test error is
reported too. Mixed precision on GPU (bfloat16 where supported, else float16 with loss scaling).

DARTS genotypes (`space: darts`) train DARTS's evaluation network (scripts/darts_network.py, the reference
code's NetworkCIFAR: C = `channels`, L = `cells`), with the auxiliary head's loss weighted by
`auxiliary_weight`, drop-path rising linearly to `drop_path`, and `cutout` as DARTS's training script.

Data (scripts/trainer_data.py): a job names a data set, never a folder. The folder is the worker
operator's: --data-dir DIR on this trainer's command line (the worker's --trainer-command), else
$ANASOD_DATA_DIR; a job that carries `data_dir` is refused. Fashion-MNIST from the gzipped IDX files of
Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) or that folder; CIFAR-10 from the python
batches (cifar-10-batches-py, read by an unpickler that builds numpy arrays only) or the binary files
(cifar-10-batches-bin) in that folder.

Standalone use (no job file): python3 scripts/train_cell.py --arch '|nor_conv_3x3~0|+|...|' --epochs 1
Sizes only (no data, no training): --count-params prints {"parameters", "evaluation_parameters", "macs"}.
Needs only torch and numpy.
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import anasod_trainer
except ImportError:  # run from the repository without `pip install ./python`
    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
    import anasod_trainer

OPERATIONS = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
DEFAULTS = {"space": "nb201", "dataset": "fashion-mnist", "channels": 8, "cells": 1, "epochs": 1, "batch_size": 128,
            "learning_rate": 0.1, "train_limit": 10000, "validation_size": 5000, "test_limit": None,
            "augment": False, "cutout": 0, "auxiliary_weight": 0.0, "drop_path": 0.0, "seed": 0, "amp": True}


NAME = "train_cell"


def log(message):
    anasod_trainer.log(message, NAME)


def fail(message, failure_class="configuration"):
    """A failure line of its class (cluster/TRAINER.md) on standard output, the message on standard error;
    exits with the class's status."""
    anasod_trainer.fail(message, failure_class, name=NAME)


# Deterministic cuBLAS needs this before CUDA starts.
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    sys.path.insert(0, HERE)
    import darts_network
    import trainer_data
except ImportError as error:  # a clear message, not a traceback
    fail(f"needs PyTorch and numpy ({error}); install them with: python3 -m pip install torch numpy", "data")


# ---------------------------------------------------------------------------------------------- network

def nb201_ops(job):
    """The job's six NB201 edge operations in arch-string order (its `operations`, `slots` or arch string),
    checked against NB201's cell: ValueError naming what is wrong."""
    try:
        cells = job.slots
    except anasod_trainer.JobError as error:
        raise ValueError(f"NB201 arch string '{job.architecture}': {error}") from None
    edges = next(iter(cells.values())) if len(cells) == 1 else []
    wiring = [(slot.source, slot.target) for slot in edges]
    if wiring != list(zip(Cell.SOURCES, Cell.TARGETS)):
        raise ValueError(f"NB201 arch string '{job.architecture}' is not a cell of 3 nodes with 1, 2 and 3 edges "
                         "from the nodes before them")
    ops = [slot.op for slot in edges]
    bad = [op for op in ops if op not in OPERATIONS]
    if bad:
        raise ValueError(f"NB201 arch string '{job.architecture}': unknown operations {bad} ({', '.join(OPERATIONS)})")
    return ops


def darts_genotype(job):
    """The job's DARTS genotype ({"normal": [[op, source], ...], "reduce": [...]}) from its `genotype`,
    `slots` or arch string; ValueError (darts_network.check_genotype) when it is not one."""
    try:
        cells = job.slots
    except anasod_trainer.JobError as error:
        raise ValueError(f"DARTS arch string '{job.architecture}': {error}") from None
    for name, edges in cells.items():
        for e, slot in enumerate(edges):
            if slot.target is not None and slot.target != e // 2 + 2:
                raise ValueError(f"the {name} cell's edge {e} feeds node {slot.target}, not {e // 2 + 2}")
    return darts_network.check_genotype({name: [[slot.op, slot.source] for slot in edges]
                                         for name, edges in cells.items()})


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, kernel, stride, padding):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
                         nn.BatchNorm2d(c_out))


class Cell(nn.Module):
    SOURCES = [0, 0, 1, 0, 1, 2]
    TARGETS = [1, 2, 2, 3, 3, 3]

    def __init__(self, channels, ops):
        super().__init__()
        live = [True, False, False, False]
        for e, op in enumerate(ops):
            if op != "none" and live[self.SOURCES[e]]:
                live[self.TARGETS[e]] = True
        self.live = live
        self.ops = ops
        layers = []
        for e, op in enumerate(ops):
            if op == "nor_conv_1x1":
                layers.append(ReLUConvBN(channels, channels, 1, 1, 0))
            elif op == "nor_conv_3x3":
                layers.append(ReLUConvBN(channels, channels, 3, 1, 1))
            elif op == "avg_pool_3x3":
                layers.append(nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False))
            else:
                layers.append(nn.Identity())  # skip_connect; none is elided in forward
        self.edges = nn.ModuleList(layers)

    def forward(self, x):
        nodes = [x, None, None, None]
        for e, op in enumerate(self.ops):
            source, target = self.SOURCES[e], self.TARGETS[e]
            if op == "none" or nodes[source] is None:
                continue
            y = self.edges[e](nodes[source])
            nodes[target] = y if nodes[target] is None else nodes[target] + y
        return nodes[3] if nodes[3] is not None else torch.zeros_like(x)


class Reduction(nn.Module):
    def __init__(self, c_in, c_out):
        super().__init__()
        self.a = ReLUConvBN(c_in, c_out, 3, 2, 1)
        self.b = ReLUConvBN(c_out, c_out, 3, 1, 1)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x):
        return self.b(self.a(x)) + self.shortcut(x)


class NB201Network(nn.Module):
    def __init__(self, ops, channels, cells, in_channels, classes):
        super().__init__()
        layers = [nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)]
        c = channels
        for stage in range(3):
            if stage > 0:
                layers.append(Reduction(c, 2 * c))
                c *= 2
            layers += [Cell(c, ops) for _ in range(cells)]
        layers += [nn.BatchNorm2d(c), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.classifier = nn.Linear(c, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")

    def forward(self, x):
        return self.classifier(self.body(x).mean(dim=(2, 3)))


def multiply_accumulates(model, shape):
    """MACs of one forward pass of one image, counted by hooks on convolutions and linear layers."""
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inp, out):
        total[0] += m.in_features * m.out_features

    hooks = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    hooks += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    training = model.training
    model.eval()  # the auxiliary head runs in training only: not counted
    with torch.no_grad():
        model(torch.zeros((1,) + shape, device=next(model.parameters()).device))
    model.train(training)
    for h in hooks:
        h.remove()
    return total[0]


# ------------------------------------------------------------------------------------------------- data

def prepare(job, device, data_dir):
    try:
        (xs, ys), (xt, yt), classes = trainer_data.load(job.dataset, data_dir)
    except trainer_data.DataError as error:
        job.fail(error.message, kind=error.failure_class)
    validation = job.validation_size
    if not 1 <= validation < len(xs):
        job.fail(f"validation_size must be in 1...{len(xs) - 1}, got {validation}", kind="configuration")
    order = np.random.default_rng(0xDA7A ^ job.seed).permutation(len(xs))
    held, rest = order[:validation], order[validation:]
    limit = job.train_limit
    if limit:
        rest = rest[:int(limit)]
    test_limit = job.test_limit
    if test_limit is not None and test_limit >= 0:
        xt, yt = xt[:int(test_limit)], yt[:int(test_limit)]
    train = xs[rest].astype(np.float32) / 255
    mean = train.mean(axis=(0, 2, 3), keepdims=True)
    std = train.std(axis=(0, 2, 3), keepdims=True) + 1e-8

    def tensor(x, y):
        x = (x.astype(np.float32) / 255 - mean) / std
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)

    return tensor(xs[rest], ys[rest]), tensor(xs[held], ys[held]), tensor(xt, yt) if len(xt) else None, classes


def augment(x, generator):
    """Random crops (zero padding 2) and horizontal flips, per image."""
    n, c, h, w = x.shape
    padded = F.pad(x, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=generator).to(x.device)
    dx = torch.randint(0, 5, (n,), generator=generator).to(x.device)
    rows = dy[:, None] + torch.arange(h, device=x.device)
    cols = dx[:, None] + torch.arange(w, device=x.device)
    out = padded.gather(2, rows[:, None, :, None].expand(n, c, h, w + 4))
    out = out.gather(3, cols[:, None, None, :].expand(n, c, h, w))
    flip = (torch.rand((n,), generator=generator) < 0.5).to(x.device)
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def cutout(x, side, generator):
    """Zeroes one side x side square per image at a uniform centre, clipped at the border (DeVries & Taylor)."""
    n, _, h, w = x.shape
    cy = torch.randint(0, h, (n,), generator=generator)
    cx = torch.randint(0, w, (n,), generator=generator)
    rows = torch.arange(h)[None, :]
    cols = torch.arange(w)[None, :]
    inside_y = (rows >= (cy - side // 2).clamp(0, h)[:, None]) & (rows < (cy + side // 2).clamp(0, h)[:, None])
    inside_x = (cols >= (cx - side // 2).clamp(0, w)[:, None]) & (cols < (cx + side // 2).clamp(0, w)[:, None])
    mask = ~(inside_y[:, :, None] & inside_x[:, None, :])
    return x * mask[:, None, :, :].to(device=x.device, dtype=x.dtype)


def logits_of(output):
    """The main logits and the auxiliary ones (None) of either network."""
    return output if isinstance(output, tuple) else (output, None)


def error_rate(model, data, batch, amp):
    if data is None:
        return None
    x, y = data
    model.eval()
    wrong = 0
    with torch.no_grad(), amp():
        for i in range(0, len(x), batch):
            wrong += (logits_of(model(x[i:i + batch]))[0].argmax(1) != y[i:i + batch]).sum().item()
    model.train()
    return 100.0 * wrong / len(x)


# --------------------------------------------------------------------------------------------- training

def build(job, in_channels, classes):
    """The job's network: NB201's skeleton around its cell, or DARTS's network around its genotype."""
    if job.space == "darts":
        genotype = darts_genotype(job)
        auxiliary = job.auxiliary_weight > 0
        model = darts_network.DARTSNetwork(genotype, job.channels, job.cells, in_channels, classes,
                                           auxiliary=auxiliary, seed=job.seed & 0xFFFF_FFFF)
        return model, "darts genotype"
    if job.space != "nb201":
        job.fail(f"this trainer builds nb201 and darts networks, not '{job.space}'", kind="configuration")
    ops = nb201_ops(job)
    return NB201Network(ops, job.channels, job.cells, in_channels, classes), "|".join(ops)


def count(job):
    """--count-params: the network's sizes on the data set's image shape, without data or training."""
    shape, classes = ((3, 32, 32), 10) if job.dataset == "cifar10" else ((1, 28, 28), 10)
    model, _ = build(job, shape[0], classes)
    total = sum(p.numel() for p in model.parameters())
    evaluation = sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name)
    print(json.dumps({"parameters": total, "evaluation_parameters": evaluation,
                      "macs": multiply_accumulates(model, shape)}), flush=True)


def train(job, data_dir):
    cuda = torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    seed = job.seed & 0xFFFF_FFFF_FFFF
    torch.manual_seed(seed)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)
    (x, y), validation, test, classes = prepare(job, device, data_dir)
    model, description = build(job, x.shape[1], classes)
    model = model.to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)
    # The reported size leaves an auxiliary head out, as DARTS's count_parameters_in_MB does.
    parameters = sum(p.numel() for name, p in model.named_parameters() if "auxiliary" not in name)
    auxiliary_weight = job.auxiliary_weight
    drop_path = job.drop_path
    cutout_side = job.cutout
    macs = multiply_accumulates(model, tuple(x.shape[1:]))

    decay = [p for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)) for p in [m.weight]]
    ids = {id(p) for p in decay}
    rest = [p for p in model.parameters() if id(p) not in ids]
    optimizer = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": rest, "weight_decay": 0}],
                                lr=job.learning_rate, momentum=0.9, nesterov=True)
    batch = job.batch_size
    epochs = job.epochs
    steps_per_epoch = math.ceil(len(x) / batch)
    total = max(1, epochs * steps_per_epoch)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total)))

    use_amp = cuda and job.setting("amp", bool(job.amp))  # the study's text setting wins
    dtype = torch.bfloat16 if use_amp and torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and dtype == torch.float16)

    def amp():
        return torch.autocast(device_type="cuda", dtype=dtype, enabled=use_amp)

    generator = torch.Generator(device="cpu").manual_seed(seed)
    log(f"{description}: {parameters} parameters, {macs} MACs/image, {len(x)} training images on {device}"
        + (f" ({torch.cuda.get_device_name(0)}, {dtype} autocast)" if cuda else ""))
    started = time.time()
    validation_error = 100.0
    for epoch in range(1, epochs + 1):
        if hasattr(model, "drop_path_probability"):
            model.drop_path_probability = drop_path * (epoch - 1) / epochs
        order = torch.randperm(len(x), generator=generator).to(device)
        losses = []
        for i in range(0, len(x), batch):
            job.check_stop()  # SIGTERM: Stopped, a quiet exit (143) at the end of this batch
            index = order[i:i + batch]
            if len(index) < 2:
                continue  # batch norm needs two images
            inputs = x[index]
            if job.augment:
                inputs = augment(inputs, generator)
            if cutout_side > 0:
                inputs = cutout(inputs, cutout_side, generator)
            if cuda:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            with amp():
                logits, auxiliary = logits_of(model(inputs))
                loss = F.cross_entropy(logits, y[index])
                if auxiliary is not None and auxiliary_weight > 0:
                    loss = loss + auxiliary_weight * F.cross_entropy(auxiliary, y[index])
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            schedule.step()
            losses.append(loss.detach())
        train_loss = torch.stack(losses).float().mean().item() if losses else float("nan")
        validation_error = error_rate(model, validation, 512, amp)
        job.report(epoch, val_error=validation_error, loss=train_loss, seconds=time.time() - started)
    train_seconds = time.time() - started
    test_error = error_rate(model, test, 512, amp)
    latency, memory = measures(model, x[:1], amp, cuda)
    # A non-finite validation error is the cell's failure (architecture: the loss diverged).
    job.result(validation_error, test_error=test_error, params=parameters, flops=2 * macs,
               train_seconds=train_seconds, latency_ms=latency, memory_mb=memory, device=str(device))


def measures(model, one, amp, cuda):
    """What a study may constrain only after evaluation: one image's forward pass in milliseconds (inference
    mode, the median of 11 after a warm-up) and the training's peak memory in MB (the GPU allocator's, else the
    process's resident set)."""
    model.eval()
    if cuda:
        one = one.contiguous(memory_format=torch.channels_last)
    with torch.no_grad(), amp():
        latency = anasod_trainer.measure_latency_ms(lambda: model(one),
                                                    synchronize=torch.cuda.synchronize if cuda else None)
    model.train()
    memory = torch.cuda.max_memory_allocated() / 2 ** 20 if cuda else anasod_trainer.peak_memory_mb()
    return latency, memory


OVERRIDES = ("space", "dataset", "channels", "cells", "epochs", "batch_size", "learning_rate", "train_limit",
             "validation_size", "test_limit", "cutout", "auxiliary_weight", "drop_path", "seed")


def read_job(args):
    """The job (anasod_trainer.Job): --arch's, else the job file or standard input; DEFAULTS fill what it
    leaves null, this command line's settings win. A bad job is a configuration failure (exit 2)."""
    document = None
    if args.arch:
        document = {"architecture": args.arch, "space": args.space or ("darts" if "normal=" in args.arch else "nb201")}
    return anasod_trainer.job(args.job, document=document, defaults=DEFAULTS,
                              overrides={key: getattr(args, key) for key in OVERRIDES},
                              guard_stdout=not args.count_params, name=NAME)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--job", help="the job file (default: $ANASOD_JOB_FILE, else standard input)")
    parser.add_argument("--arch", help="train this arch string (NB201, or DARTS 'normal=...;reduce=...') without a job file")
    parser.add_argument("--count-params", action="store_true",
                        help="print the network's parameters and MACs as JSON and exit (no data, no training)")
    parser.add_argument("--data-dir", dest="data_dir",
                        help="the data folder (default: $ANASOD_DATA_DIR, else Fashion-MNIST's system folder); "
                             "the operator's setting: a job never names a folder")
    for key, kind in (("space", str), ("dataset", str), ("channels", int), ("cells", int),
                      ("epochs", int), ("batch_size", int), ("learning_rate", float), ("train_limit", int),
                      ("validation_size", int), ("test_limit", int), ("cutout", int), ("auxiliary_weight", float),
                      ("drop_path", float), ("seed", int)):
        parser.add_argument("--" + key.replace("_", "-"), dest=key, type=kind)
    args = parser.parse_args()
    job = read_job(args)
    if args.count_params:
        try:
            count(job)
        except ValueError as error:
            job.fail(str(error), kind="configuration")
        return
    data_dir = job.data_directory(args.data_dir)  # the operator's (--data-dir, $ANASOD_DATA_DIR), never the job's
    # The library classes what escapes: MemoryError and GPU faults (CUDA out of memory, cuDNN, ...: this
    # worker's resources) resource, a missing file data, a bug configuration; SIGTERM exits quietly (143).
    with job:
        try:
            train(job, data_dir)
        except ValueError as error:  # a bad cell or setting: said in its own words, without a traceback
            job.fail(str(error), kind="configuration")


if __name__ == "__main__":
    main()
