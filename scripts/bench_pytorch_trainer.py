#!/usr/bin/env python3
"""PyTorch's training images/second for the networks of `anasod bench trainer` (batch 128, 1x28x28,
SGD step included), built by scripts/train_cell.py, on N CPU threads (default 2), printed as a table.

    python3 scripts/bench_pytorch_trainer.py [--threads 2]
    python3 scripts/bench_pytorch_trainer.py --darts NAME=GENOTYPE@C,L ... [--json]

--darts measures DARTS networks (scripts/darts_network.py) instead; `anasod bench trainer --space darts`
runs it beside the Swift trainer in the same run, with --json.
"""
import argparse
import importlib.util
import os
import sys
import time

try:
    import torch
except ImportError:
    sys.exit("bench_pytorch_trainer.py needs PyTorch: python3 -m pip install torch numpy")

here = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("train_cell", os.path.join(here, "train_cell.py"))
train_cell = importlib.util.module_from_spec(spec)
spec.loader.exec_module(train_cell)

CELLS = {"conv3x3": ["nor_conv_3x3"] * 6,
         "ResNet-like": ["nor_conv_3x3", "none", "nor_conv_3x3", "skip_connect", "none", "skip_connect"],
         "avgpool": ["avg_pool_3x3"] * 6}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--darts", action="append", default=[], help="NAME=GENOTYPE@C,L (repeatable)")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--json", action="store_true", help="one JSON object per row instead of the table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.darts:
        return darts_rows(args)
    print(f"PyTorch {torch.__version__}, {args.threads} threads, batch 128, 1 x 28 x 28\n")
    print("| network | cell | train img/s | inference img/s |\n|---|---|---|---|")
    for channels, cells in [(8, 1), (16, 1), (16, 5)]:
        for name, ops in CELLS.items():
            model = train_cell.NB201Network(ops, channels, cells, 1, 10)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
            x, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))

            def step():
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()

            steps = 6 if cells == 5 else 10
            for _ in range(2):
                step()
            start = time.time()
            for _ in range(steps):
                step()
            train = 128 * steps / (time.time() - start)
            model.eval()
            with torch.no_grad():
                model(x)
                start = time.time()
                for _ in range(steps):
                    model(x)
            inference = 128 * steps / (time.time() - start)
            model.train()
            print(f"| C{channels}N{cells} | {name} | {train:.0f} | {inference:.0f} |", flush=True)


def darts_rows(args):
    import json
    sys.path.insert(0, here)
    import darts_network
    if not args.json:
        print(f"PyTorch {torch.__version__}, {args.threads} threads, batch 128, 1 x 28 x 28\n")
        print("| network | genotype | train img/s | inference img/s |\n|---|---|---|---|")
    for spec_text in args.darts:
        name, _, rest = spec_text.partition("=")
        genotype_text, _, size = rest.rpartition("@")
        channels, cells = (int(v) for v in size.split(","))
        model = darts_network.DARTSNetwork(darts_network.parse_genotype(genotype_text), channels, cells, 1, 10)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
        x, y = torch.randn(128, 1, 28, 28), torch.randint(0, 10, (128,))

        def step():
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x)[0], y).backward()
            optimizer.step()

        for _ in range(2):
            step()
        start = time.time()
        for _ in range(args.steps):
            step()
        train = 128 * args.steps / (time.time() - start)
        model.eval()
        with torch.no_grad():
            model(x)
            start = time.time()
            for _ in range(args.steps):
                model(x)
        inference = 128 * args.steps / (time.time() - start)
        if args.json:
            print(json.dumps({"name": name, "channels": channels, "cells": cells, "train": train, "inference": inference}), flush=True)
        else:
            print(f"| C{channels}L{cells} | {name} | {train:.0f} | {inference:.0f} |", flush=True)


if __name__ == "__main__":
    main()
