#!/usr/bin/env python3
"""PyTorch's seconds per search epoch for the NB201 supernet of `anasod dnas` (the same network: every edge
the p~-weighted sum of none, skip, ReLU-conv1x1-BN, ReLU-conv3x3-BN, avg_pool_3x3; the NB201 skeleton of
scripts/train_cell.py), one bilevel step being a forward and backward on an architecture batch (gradient
w.r.t. p~ only used) and one on a weight batch with an SGD step, on random 1x28x28 images.

    python3 scripts/bench_pytorch_supernet.py [--channels 8 --cells 1 --batch 64 --images 4000 --threads 2]

Compare with the `s` at the end of each `anasod dnas` progress line for the same settings, run back to back.
"""
import argparse
import importlib.util
import os
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError:
    sys.exit("bench_pytorch_supernet.py needs PyTorch: python3 -m pip install torch numpy")

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("train_cell", os.path.join(here, "train_cell.py"))
train_cell = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_cell)


class MixedOp(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ops = nn.ModuleList([train_cell.ReLUConvBN(c, c, 1, 1, 0), train_cell.ReLUConvBN(c, c, 3, 1, 1),
                                  nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)])

    def forward(self, x, p):
        return p[1] * x + p[2] * self.ops[0](x) + p[3] * self.ops[1](x) + p[4] * self.ops[2](x)


class MixedCell(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.edges = nn.ModuleList([MixedOp(c) for _ in range(6)])

    def forward(self, x, p):
        n1 = self.edges[0](x, p)
        n2 = self.edges[1](x, p) + self.edges[2](n1, p)
        return self.edges[3](x, p) + self.edges[4](n1, p) + self.edges[5](n2, p)


class Supernet(nn.Module):
    def __init__(self, c, n, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c))
        layers = []
        for stage in range(3):
            if stage > 0:
                layers.append(train_cell.Reduction(c, 2 * c))
                c *= 2
            layers += [MixedCell(c) for _ in range(n)]
        self.layers = nn.ModuleList(layers)
        self.tail = nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())
        self.classifier = nn.Linear(c, classes)
        self.p = nn.Parameter(torch.full((5,), 0.2))

    def forward(self, x):
        x = self.stem(x)
        for layer in self.layers:
            x = layer(x, self.p) if isinstance(layer, MixedCell) else layer(x)
        return self.classifier(self.tail(x).mean(dim=(2, 3)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for key, default in (("channels", 8), ("cells", 1), ("batch", 64), ("images", 4000), ("threads", 2), ("steps", 8)):
        parser.add_argument("--" + key, type=int, default=default)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Supernet(args.channels, args.cells)
    weights = [q for name, q in model.named_parameters() if name != "p"]
    sgd = torch.optim.SGD(weights, lr=0.025, momentum=0.9, nesterov=True, weight_decay=3e-4)
    x, y = torch.randn(args.batch, 1, 28, 28), torch.randint(0, 10, (args.batch,))

    def step():
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()  # architecture half (p's gradient)
        with torch.no_grad():
            model.p.mul_(torch.exp(-0.05 * model.p.grad)).div_(model.p.sum())
        model.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()  # weight half
        sgd.step()

    for _ in range(2):
        step()
    start = time.process_time()
    wall = time.time()
    for _ in range(args.steps):
        step()
    per_step_cpu = (time.process_time() - start) / args.steps
    per_step_wall = (time.time() - wall) / args.steps
    steps = (args.images // 2) // args.batch
    print(f"PyTorch {torch.__version__}, {args.threads} threads: NB201 supernet C={args.channels} N={args.cells}, batch {args.batch}: "
          f"{per_step_wall * 1000:.0f} ms per bilevel step (wall), {steps} steps per epoch of {args.images} images: "
          f"{per_step_wall * steps:.1f} s per epoch (wall), {per_step_cpu * steps:.1f} CPU s")


if __name__ == "__main__":
    main()
