"""DARTS's evaluation network in PyTorch, as the reference code builds it (Liu et al., ICLR 2019,
github.com/quark0/darts, cnn/model.py and cnn/operations.py): NetworkCIFAR with its auxiliary head and
drop-path, from a genotype given as {"normal": [[op, source], ...8], "reduce": [...]} (node i's edges are
entries 2i and 2i+1; sources 0 and 1 are the cell's inputs, k >= 2 is node k - 2).

The Swift trainer builds the same network (Sources/Trainer/Network/DARTSNetwork.swift); the two agree to
the parameter (scripts/train_cell.py --count-params, checked by the Swift tests where PyTorch exists).
Imported by scripts/train_cell.py; needs only torch.
"""
import torch
import torch.nn as nn

DARTS_OPERATIONS = ["sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5", "max_pool_3x3", "avg_pool_3x3",
                    "skip_connect"]


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, kernel, stride, padding):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
                         nn.BatchNorm2d(c_out))


class DilConv(nn.Sequential):
    """ReLU, depthwise k x k (dilation d), pointwise 1 x 1, BN."""

    def __init__(self, c_in, c_out, kernel, stride, padding, dilation):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, dilation=dilation, groups=c_in,
                                   bias=False),
                         nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class SepConv(nn.Sequential):
    """(ReLU, depthwise k x k, pointwise, BN) twice; the first carries the stride."""

    def __init__(self, c_in, c_out, kernel, stride, padding):
        super().__init__(nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_in, kernel, stride=stride, padding=padding, groups=c_in, bias=False),
                         nn.Conv2d(c_in, c_in, 1, bias=False), nn.BatchNorm2d(c_in),
                         nn.ReLU(inplace=False),
                         nn.Conv2d(c_in, c_in, kernel, stride=1, padding=padding, groups=c_in, bias=False),
                         nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))


class FactorizedReduce(nn.Module):
    """ReLU, two 1 x 1 stride-2 convolutions (the second on the input shifted by one pixel), concatenated, BN."""

    def __init__(self, c_in, c_out):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out)

    def forward(self, x):
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def operation(name, c, stride):
    """DARTS's operation on c channels; None is the identity."""
    if name == "sep_conv_3x3":
        return SepConv(c, c, 3, stride, 1)
    if name == "sep_conv_5x5":
        return SepConv(c, c, 5, stride, 2)
    if name == "dil_conv_3x3":
        return DilConv(c, c, 3, stride, 2, 2)
    if name == "dil_conv_5x5":
        return DilConv(c, c, 5, stride, 4, 2)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return None if stride == 1 else FactorizedReduce(c, c)
    raise ValueError(f"'{name}' is not a DARTS operation ({', '.join(DARTS_OPERATIONS)})")


def drop_path(x, probability, generator):
    """Zeroes whole samples with the given probability and scales the rest by 1 / (1 - p)."""
    keep = 1.0 - probability
    mask = (torch.rand((x.size(0), 1, 1, 1), generator=generator) < keep).to(device=x.device, dtype=x.dtype)
    return x * mask / keep


class Cell(nn.Module):
    def __init__(self, edges, c_prev_prev, c_prev, c, reduction, reduction_prev):
        super().__init__()
        self.reduction = reduction
        self.preprocess0 = FactorizedReduce(c_prev_prev, c) if reduction_prev else ReLUConvBN(c_prev_prev, c, 1, 1, 0)
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0)
        self.sources = [source for _, source in edges]
        ops = [operation(name, c, 2 if reduction and source < 2 else 1) for name, source in edges]
        self.identity = [op is None for op in ops]
        self.ops = nn.ModuleList([op if op is not None else nn.Identity() for op in ops])

    def forward(self, s0, s1, drop_probability, generator):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for i in range(4):
            node = 0
            for e in (2 * i, 2 * i + 1):
                h = self.ops[e](states[self.sources[e]])
                if self.training and drop_probability > 0 and not self.identity[e]:
                    h = drop_path(h, drop_probability, generator)
                node = node + h
            states.append(node)
        return torch.cat(states[2:], dim=1)


class AuxiliaryHead(nn.Module):
    """AuxiliaryHeadCIFAR: reads the 8 x 8 output of the second reduction cell."""

    def __init__(self, c, classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=True),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=True))
        self.classifier = nn.Linear(768, classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.mean(dim=(2, 3)))


class DARTSNetwork(nn.Module):
    """NetworkCIFAR: stem (3 x 3 conv to 3C, BN), L cells (reductions at L/3 and 2L/3), pooling, classifier."""

    def __init__(self, genotype, channels, layers, in_channels, classes, auxiliary=False, seed=0):
        super().__init__()
        self.layers = layers
        self.drop_path_probability = 0.0
        self.generator = torch.Generator(device="cpu").manual_seed(seed ^ 0xD509)
        stem = 3 * channels
        self.stem = nn.Sequential(nn.Conv2d(in_channels, stem, 3, padding=1, bias=False), nn.BatchNorm2d(stem))
        c_prev_prev, c_prev, c = stem, stem, channels
        self.cells = nn.ModuleList()
        reduction_prev = False
        self.auxiliary_head = None
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c *= 2
            edges = genotype["reduce" if reduction else "normal"]
            self.cells.append(Cell(edges, c_prev_prev, c_prev, c, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, 4 * c
            if auxiliary and i == 2 * layers // 3:
                self.auxiliary_head = AuxiliaryHead(c_prev, classes)
        self.classifier = nn.Linear(c_prev, classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        auxiliary = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, self.drop_path_probability, self.generator)
            if i == 2 * self.layers // 3 and self.auxiliary_head is not None and self.training:
                auxiliary = self.auxiliary_head(s1)
        logits = self.classifier(s1.mean(dim=(2, 3)))
        return logits, auxiliary


def parse_genotype(text):
    """'normal=|op~a|op~b|+|...;reduce=|...|' -> {"normal": [[op, source], ...], "reduce": [...]}."""
    parts = text.strip().split(";")
    if len(parts) != 2:
        raise ValueError(f"DARTS arch string '{text}': expected 'normal=...;reduce=...'")
    genotype = {}
    for part, name in zip(parts, ("normal", "reduce")):
        if not part.startswith(name + "="):
            raise ValueError(f"DARTS arch string '{text}': expected '{name}='")
        nodes = part[len(name) + 1:].split("+")
        if len(nodes) != 4:
            raise ValueError(f"DARTS arch string '{text}': the {name} cell needs 4 nodes")
        edges = []
        for node in nodes:
            pair = [e for e in node.strip().strip("|").split("|") if e]
            if len(pair) != 2:
                raise ValueError(f"DARTS arch string '{text}': a node of the {name} cell needs 2 edges")
            for edge in pair:
                op, _, source = edge.partition("~")
                edges.append([op, int(source)])
        genotype[name] = edges
    return check_genotype(genotype)


def check_genotype(genotype):
    """The genotype, or ValueError naming what is wrong."""
    if not isinstance(genotype, dict) or set(genotype) != {"normal", "reduce"}:
        raise ValueError("a DARTS genotype has a 'normal' and a 'reduce' cell")
    for name, edges in genotype.items():
        if not isinstance(edges, list) or len(edges) != 8:
            raise ValueError(f"the {name} cell needs 8 edges")
        for e, edge in enumerate(edges):
            if not (isinstance(edge, list) and len(edge) == 2 and edge[0] in DARTS_OPERATIONS
                    and isinstance(edge[1], int) and 0 <= edge[1] < e // 2 + 2):
                raise ValueError(f"the {name} cell's edge {e} ({edge}) is not [operation, source < {e // 2 + 2}]")
    return genotype
