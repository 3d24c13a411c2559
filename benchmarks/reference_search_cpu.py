"""The `cpu`-size search in PyTorch, on the twin of the reference network, to tell
what the search method does at this budget from what this implementation does.

It runs the reference's first-order search loop (train_search.py's order: an Adam
step on the architecture from a validation batch once warm-up is over, then an
SGD step on the weights, gradient norm clipped at 5, learning rate on a cosine
per epoch) at the `cpu` size of docs/cpu_protocol.md: C=8, 5 layers, 16x16
images (2x2 averages, normalized with the full-size training set's mean and
std, random crop padded by 2 and flip), a class-balanced subset of 4,000
training images (the first 400 of each class in file order, shuffled by the
seed, half for the weights and half for the architecture), batch 64, 5 epochs.
It writes one row per epoch with the derived genotype:

    /usr/bin/python3 benchmarks/reference_search_cpu.py --method pcdarts --seed 0 \
        --data-dir DIR --out genotypes.csv [--threads 1]

The network is src/parity/twins/reference_model.py's, which passes the reference
parity fixtures (`reference_model.py check`).
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "parity", "twins"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu"))
from reference_model import Network, genotype  # noqa: E402
from reference_step import MEAN, STD  # noqa: E402  (CIFAR-10's, at full size)

# The reference protocols, with the cpu size's shared batch and scaled warm-up.
METHODS = {
    "pcdarts": dict(k=4, edge_norm=True, lr=0.1, lr_min=0.0, arch_lr=6e-4, warmup=2),
    "darts1": dict(k=1, edge_norm=False, lr=0.025, lr_min=0.001, arch_lr=3e-4, warmup=0),
}


def load_subset(data_dir, per_class):
    """The first `per_class` images of each class, in file order, 32x32 in [0, 1]."""
    records = []
    for i in range(1, 6):
        path = os.path.join(data_dir, "cifar-10-batches-bin", f"data_batch_{i}.bin")
        try:
            raw = open(path, "rb").read()
        except OSError as error:
            raise SystemExit(f"{path}: {error.strerror}; point --data-dir at the folder holding "
                             "cifar-10-batches-bin/ (or set PCDARTS_DATA_DIR)")
        records.append(torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, 3073))
    data = torch.cat(records)
    labels = data[:, 0].long()
    keep = torch.cat([torch.nonzero(labels == c).flatten()[:per_class] for c in range(10)])
    keep = keep.sort().values
    images = data[keep, 1:].float().div(255).view(-1, 3, 32, 32)
    return images, labels[keep]


def prepare(images, side):
    """Averaged over blocks down to side x side, then normalized."""
    if side != images.shape[-1]:
        images = F.avg_pool2d(images, images.shape[-1] // side)
    return (images - MEAN) / STD


def augment(batch, pad, generator):
    """Random crop after zero padding by `pad`, and a random horizontal flip, per image."""
    n, _, h, w = batch.shape
    padded = F.pad(batch, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    out = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    out[flip] = out[flip].flip(-1)
    return out


def search(method, seed, data_dir, out, channels=8, layers=5, side=16, per_class=400,
           batch=64, epochs=5, log=print):
    spec = METHODS[method]
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    images, labels = load_subset(data_dir, per_class)
    images = prepare(images, side)
    order = torch.randperm(images.shape[0], generator=generator)
    half = images.shape[0] // 2
    train_idx, valid_idx = order[:half], order[half:]
    net = Network(channels, 10, layers, k=spec["k"], edge_norm=spec["edge_norm"])
    arch = list(net.arch_parameters().values())
    weights = [p for _, p in net.weight_parameters()]
    adam = torch.optim.Adam(arch, lr=spec["arch_lr"], betas=(0.5, 0.999), weight_decay=1e-3)
    sgd = torch.optim.SGD(weights, lr=spec["lr"], momentum=0.9, weight_decay=3e-4)
    steps = half // batch
    rows = []
    for epoch in range(epochs):
        lr = spec["lr_min"] + (spec["lr"] - spec["lr_min"]) * (1 + math.cos(math.pi * epoch / epochs)) / 2
        for group in sgd.param_groups:
            group["lr"] = lr
        train_order = train_idx[torch.randperm(half, generator=generator)]
        valid_order = valid_idx[torch.randperm(half, generator=generator)]
        net.train()
        started = time.time()
        correct = seen = 0
        total_loss = 0.0
        for step in range(steps):
            rows_t = train_order[step * batch:(step + 1) * batch]
            rows_v = valid_order[step * batch:(step + 1) * batch]
            x = augment(images[rows_t], side // 8, generator)
            if epoch >= spec["warmup"]:
                adam.zero_grad()
                xv = augment(images[rows_v], side // 8, generator)
                F.cross_entropy(net(xv), labels[rows_v]).backward()
                adam.step()
            sgd.zero_grad()
            logits = net(x)
            loss = F.cross_entropy(logits, labels[rows_t])
            loss.backward()
            nn.utils.clip_grad_norm_(weights, 5)
            sgd.step()
            total_loss += loss.item() * len(rows_t)
            correct += (logits.argmax(1) == labels[rows_t]).sum().item()
            seen += len(rows_t)
        row = dict(method=method, seed=seed, epoch=epoch, lr=lr, train_loss=total_loss / seen,
                   train_acc=correct / seen, seconds=round(time.time() - started, 2),
                   genotype=json.dumps(genotype(net)))
        rows.append(row)
        log(f"{method} seed {seed} epoch {epoch}: loss {row['train_loss']:.4f}, "
            f"acc {row['train_acc']:.4f}, {row['seconds']} s")
    tmp = out + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, out)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=sorted(METHODS), default="pcdarts")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=os.environ.get("PCDARTS_DATA_DIR", "data"))
    parser.add_argument("--out", required=True, help="the CSV to write")
    parser.add_argument("--threads", type=int, default=1)
    # Smaller runs, for a test of this script.
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--per-class", type=int, default=400)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    search(args.method, args.seed, args.data_dir, args.out, channels=args.channels, layers=args.layers,
           per_class=args.per_class, batch=args.batch, epochs=args.epochs)


if __name__ == "__main__":
    main()
