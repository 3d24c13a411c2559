"""PyTorch model of the PC-DARTS / DARTS search network, written for this project.

It is not the reference code (which cannot travel with this repository); it is a
measurement and fixture-making twin that must compute the same function, and it
proves that by passing the reference parity fixtures:

    /usr/bin/python3 src/parity/twins/reference_model.py check ../shared/fixtures/parity

It also writes parity fixtures of other sizes (same format, same names), so that
our parity command is exercised on shapes the shared fixtures do not have:

    /usr/bin/python3 src/parity/twins/reference_model.py make OUT.safetensors \
        --channels 8 --layers 4 --batch 3 --size 12 --partial-channels 2 --edge-normalization
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

PRIMITIVES = ["none", "max_pool_3x3", "avg_pool_3x3", "skip_connect",
              "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"]


class ReLUConvBN(nn.Module):
    def __init__(self, c_in, c_out, kernel, stride, padding, affine):
        super().__init__()
        self.op = nn.Sequential(nn.ReLU(inplace=False),
                                nn.Conv2d(c_in, c_out, kernel, stride, padding, bias=False),
                                nn.BatchNorm2d(c_out, affine=affine))

    def forward(self, x):
        return self.op(x)


class FactorizedReduce(nn.Module):
    def __init__(self, c_in, c_out, affine):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x):
        x = self.relu(x)
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(x[:, :, 1:, 1:])], dim=1))


def separable(c, kernel, stride, padding, dilation, affine, names_from):
    # A ReLU, depthwise, pointwise, BN block, as positions names_from..+3.
    return [nn.ReLU(inplace=False),
            nn.Conv2d(c, c, kernel, stride, padding, dilation=dilation, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            nn.BatchNorm2d(c, affine=affine)]


class SepConv(nn.Module):
    def __init__(self, c, kernel, stride, padding, affine):
        super().__init__()
        self.op = nn.Sequential(*separable(c, kernel, stride, padding, 1, affine, 0),
                                *separable(c, kernel, 1, padding, 1, affine, 4))

    def forward(self, x):
        return self.op(x)


class DilConv(nn.Module):
    def __init__(self, c, kernel, stride, padding, affine):
        super().__init__()
        self.op = nn.Sequential(*separable(c, kernel, stride, padding, 2, affine, 0))

    def forward(self, x):
        return self.op(x)


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[:, :, ::self.stride, ::self.stride].mul(0.0)


class Identity(nn.Module):
    def forward(self, x):
        return x


def primitive(name, c, stride, affine=False):
    if name == "none":
        return Zero(stride)
    if name == "max_pool_3x3":
        return nn.Sequential(nn.MaxPool2d(3, stride=stride, padding=1), nn.BatchNorm2d(c, affine=False))
    if name == "avg_pool_3x3":
        return nn.Sequential(nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False),
                             nn.BatchNorm2d(c, affine=False))
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    if name == "sep_conv_3x3":
        return SepConv(c, 3, stride, 1, affine)
    if name == "sep_conv_5x5":
        return SepConv(c, 5, stride, 2, affine)
    if name == "dil_conv_3x3":
        return DilConv(c, 3, stride, 2, affine)
    if name == "dil_conv_5x5":
        return DilConv(c, 5, stride, 4, affine)
    raise ValueError(name)


class MixedOp(nn.Module):
    def __init__(self, c, stride, k):
        super().__init__()
        self.k = k
        self.stride = stride
        self._ops = nn.ModuleList([primitive(p, c // k, stride) for p in PRIMITIVES])

    def forward(self, x, weights):
        part = x.shape[1] // self.k
        processed = sum(w * op(x[:, :part]) for w, op in zip(weights, self._ops))
        if self.k == 1:
            return processed
        rest = x[:, part:]
        if self.stride == 2:
            rest = F.max_pool2d(rest, 2, 2)
        y = torch.cat([processed, rest], dim=1)
        n, c, h, w = y.shape
        return y.view(n, self.k, c // self.k, h, w).transpose(1, 2).reshape(n, c, h, w)


class Cell(nn.Module):
    def __init__(self, steps, multiplier, c_pp, c_p, c, reduction, reduction_prev, k):
        super().__init__()
        self.reduction = reduction
        self.steps = steps
        self.multiplier = multiplier
        self.preprocess0 = FactorizedReduce(c_pp, c, False) if reduction_prev else ReLUConvBN(c_pp, c, 1, 1, 0, False)
        self.preprocess1 = ReLUConvBN(c_p, c, 1, 1, 0, False)
        self._ops = nn.ModuleList()
        for i in range(steps):
            for j in range(2 + i):
                self._ops.append(MixedOp(c, 2 if reduction and j < 2 else 1, k))

    def forward(self, s0, s1, weights, edge_weights):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        offset = 0
        for _ in range(self.steps):
            total = 0
            for j, h in enumerate(states):
                out = self._ops[offset + j](h, weights[offset + j])
                total = total + (out if edge_weights is None else edge_weights[offset + j] * out)
            offset += len(states)
            states.append(total)
        return torch.cat(states[-self.multiplier:], dim=1)


def edge_normalization(betas, steps):
    parts, start = [], 0
    for i in range(steps):
        parts.append(F.softmax(betas[start:start + i + 2], dim=-1))
        start += i + 2
    return torch.cat(parts)


class Network(nn.Module):
    """The search network. `stem="imagenet"` is model_search_imagenet's: three
    stride-2 convolutions (3 to 3C/2, ReLU, to 3C; then ReLU, 3C to 3C), the
    second state taken after the third, so the first cell sees a reduced
    previous cell."""

    def __init__(self, c, num_classes, layers, k=4, edge_norm=True, steps=4, multiplier=4, stem_multiplier=3,
                 stem="cifar"):
        super().__init__()
        self.steps = steps
        self.stem_kind = stem
        c_curr = stem_multiplier * c
        if stem == "imagenet":
            half = c_curr // 2
            self.stem0 = nn.Sequential(
                nn.Conv2d(3, half, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
                nn.Conv2d(half, c_curr, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_curr))
            self.stem1 = nn.Sequential(
                nn.ReLU(), nn.Conv2d(c_curr, c_curr, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        elif stem == "cifar":
            self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        else:
            raise ValueError(f"stem {stem!r}: choose cifar or imagenet")
        c_pp, c_p, c_curr = c_curr, c_curr, c
        self.cells = nn.ModuleList()
        reduction_prev = stem == "imagenet"
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(Cell(steps, multiplier, c_pp, c_p, c_curr, reduction, reduction_prev, k))
            reduction_prev = reduction
            c_pp, c_p = c_p, multiplier * c_curr
        self.classifier = nn.Linear(c_p, num_classes)
        edges = steps * (steps + 3) // 2
        self.alphas_normal = nn.Parameter(1e-3 * torch.randn(edges, len(PRIMITIVES)))
        self.alphas_reduce = nn.Parameter(1e-3 * torch.randn(edges, len(PRIMITIVES)))
        self.edge_norm = edge_norm
        if edge_norm:
            self.betas_normal = nn.Parameter(1e-3 * torch.randn(edges))
            self.betas_reduce = nn.Parameter(1e-3 * torch.randn(edges))

    def arch_parameters(self):
        names = ["alphas_normal", "alphas_reduce"] + (["betas_normal", "betas_reduce"] if self.edge_norm else [])
        return {n: getattr(self, n) for n in names}

    def weight_parameters(self):
        arch = set(id(p) for p in self.arch_parameters().values())
        return [(n, p) for n, p in self.named_parameters() if id(p) not in arch]

    def forward(self, x):
        if self.stem_kind == "imagenet":
            s0 = self.stem0(x)
            s1 = self.stem1(s0)
        else:
            s0 = s1 = self.stem(x)
        for cell in self.cells:
            kind = "reduce" if cell.reduction else "normal"
            weights = F.softmax(getattr(self, "alphas_" + kind), dim=-1)
            edge = edge_normalization(getattr(self, "betas_" + kind), self.steps) if self.edge_norm else None
            s0, s1 = s1, cell(s0, s1, weights, edge)
        return self.classifier(F.adaptive_avg_pool2d(s1, 1).flatten(1))


def genotype(net):
    def parse(alphas, betas):
        w = F.softmax(alphas, dim=-1).detach()
        if betas is not None:
            w = w * edge_normalization(betas, net.steps).detach()[:, None]
        gene, start = [], 0
        none = PRIMITIVES.index("none")
        for i in range(net.steps):
            rows = w[start:start + i + 2].tolist()
            best = lambda row: max((k for k in range(len(row)) if k != none), key=lambda k: (row[k], -k))
            edges = sorted(range(i + 2), key=lambda j: -rows[j][best(rows[j])])[:2]
            gene += [[PRIMITIVES[best(rows[j])], j] for j in edges]
            start += i + 2
        return gene
    concat = list(range(2, 2 + net.steps))
    arch = net.arch_parameters()
    return {"normal": parse(arch["alphas_normal"], arch.get("betas_normal")), "normal_concat": concat,
            "reduce": parse(arch["alphas_reduce"], arch.get("betas_reduce")), "reduce_concat": concat}


# --- safetensors (float32) ---------------------------------------------------------

def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[8 + n + a:8 + n + b]), dtype=torch.float32)
        tensors[name] = t.reshape(e["shape"]).clone()
    return tensors, meta


def write_safetensors(path, tensors, meta):
    header, offset, blobs = {"__metadata__": meta}, 0, []
    for name, t in tensors.items():
        raw = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def infer_config(tensors, meta):
    c = int(meta["C"])
    k = c // tensors["param.cells.0._ops.0._ops.4.op.1.weight"].shape[0]
    return dict(c=c, layers=int(meta["layers"]), num_classes=int(meta["num_classes"]), k=k,
                edge_norm="arch.betas_normal" in tensors,
                stem="imagenet" if "param.stem0.0.weight" in tensors else "cifar")


def network_forward_backward(net, x, target):
    net.train()
    for p in net.parameters():
        p.grad = None
    logits = net(x)
    loss = F.cross_entropy(logits, target)
    loss.backward()
    return logits, loss


def rel(a, b):
    a, b = a.flatten().double(), b.flatten().double()
    nb = b.norm()
    return float((a - b).norm() / nb) if nb > 0 else float((a - b).norm())


def check_network(path):
    tensors, meta = read_safetensors(path)
    cfg = infer_config(tensors, meta)
    net = Network(cfg["c"], cfg["num_classes"], cfg["layers"], cfg["k"], cfg["edge_norm"], stem=cfg["stem"])
    state = {n[len("param."):]: t for n, t in tensors.items() if n.startswith("param.")}
    missing, unexpected = net.load_state_dict(state, strict=False)
    unexpected = [u for u in unexpected]
    assert not unexpected, unexpected
    with torch.no_grad():
        for n, p in net.arch_parameters().items():
            p.copy_(tensors["arch." + n])
    logits, loss = network_forward_backward(net, tensors["input"], tensors["target"].long())
    errors = {"logits": rel(logits, tensors["logits"]), "loss": rel(loss.reshape(1), tensors["loss"])}
    for n, p in net.arch_parameters().items():
        errors["arch_grad." + n] = rel(p.grad, tensors["arch_grad." + n])
    errors["weights"] = max(rel(p.grad, tensors["grad." + n]) for n, p in net.weight_parameters()
                            if "grad." + n in tensors)
    same_genotype = genotype(net) == json.loads(meta["genotype"]) if "genotype" in meta else None
    return errors, same_genotype


def check_folder(folder):
    """Checks the reference search-network fixtures in `folder` (the ImageNet one
    where present); prints a line each."""
    ok = True
    names = ["network_pcdarts", "network_darts"]
    if os.path.exists(f"{folder}/network_pcdarts_imagenet.safetensors"):
        names.append("network_pcdarts_imagenet")
    for name in names:
        errors, same = check_network(f"{folder}/{name}.safetensors")
        worst_out = max(errors["logits"], errors["loss"])
        worst_grad = max(v for k, v in errors.items() if k not in ("logits", "loss"))
        good = worst_out < 1e-4 and worst_grad < 1e-3 and same is not False
        ok &= good
        print(f"{name}: outputs {worst_out:.2e}, gradients {worst_grad:.2e}, "
              f"genotype {'equal' if same else 'DIFFERENT'}: {'ok' if good else 'FAILED'}")
    return ok


def make_fixture(out, c, layers, batch, size, k, edge_norm, classes, seed):
    torch.manual_seed(seed)
    net = Network(c, classes, layers, k, edge_norm)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p) * (0.5 if p.dim() > 1 else 1.0))
    x = torch.randn(batch, 3, size, size)
    target = torch.randint(0, classes, (batch,))
    logits, loss = network_forward_backward(net, x, target)
    tensors = {"input": x, "target": target.float(), "logits": logits, "loss": loss.reshape(1)}
    for n, p in net.arch_parameters().items():
        tensors["arch." + n] = p
        tensors["arch_grad." + n] = p.grad
    for n, p in net.weight_parameters():
        tensors["param." + n] = p
        tensors["grad." + n] = p.grad
    meta = {"C": str(c), "layers": str(layers), "N": str(batch), "H": str(size), "num_classes": str(classes),
            "genotype": json.dumps(genotype(net)),
            "source": "src/parity/twins/reference_model.py (this project's PyTorch twin), K=%d" % k}
    write_safetensors(out, tensors, meta)
    with open(out.replace(".safetensors", ".genotype.json"), "w") as f:
        f.write(json.dumps(genotype(net)))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check this model against the network fixtures in a folder")
    check.add_argument("folder")
    make = sub.add_parser("make", help="write a network fixture of another size")
    make.add_argument("out")
    make.add_argument("--channels", type=int, default=8)
    make.add_argument("--layers", type=int, default=4)
    make.add_argument("--batch", type=int, default=3)
    make.add_argument("--size", type=int, default=12)
    make.add_argument("--partial-channels", type=int, default=2)
    make.add_argument("--edge-normalization", action="store_true")
    make.add_argument("--classes", type=int, default=7)
    make.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "check":
        sys.exit(0 if check_folder(args.folder) else 1)
    make_fixture(args.out, args.channels, args.layers, args.batch, args.size, args.partial_channels,
                 args.edge_normalization, args.classes, args.seed)


if __name__ == "__main__":
    main()
