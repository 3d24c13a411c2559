"""The PyTorch half of the GPU benchmark: the same search network and search step
as ours, measured on the same card, for measurement only.

The network is reference_model.py's twin of the reference code, which must pass
the reference parity fixtures first (`check` runs them; run.sh stops if it fails):

    python3 benchmarks/gpu/reference_step.py check ../shared/fixtures/parity
    python3 benchmarks/gpu/reference_step.py measure --size smoke|paper|tiny|small \
        --data SUBSET.bin --out DIR [--device cuda|cpu] [--threads N] \
        [--steps-only] [--method pcdarts|darts1] [--timed-steps N]

`measure` writes torch_memory.csv (torch.cuda.max_memory_allocated of one search
step, weights and optimizer state included, for K = 1, 2, 4, 8 at each batch, edge
normalization on) and torch_steps.csv (pcdarts K=4 with edge normalization and
darts1 K=1: one warm-up step, then consecutive timed steps; median and total).
A search step is the reference's first-order one: an Adam step on the
architecture parameters from a validation batch (lr 6e-4, betas (0.5, 0.999),
wd 1e-3), then an SGD step on the weights from a training batch (lr 0.025,
momentum 0.9, wd 3e-4, gradient norm clipped at 5).

Where the size names one, it also times the ImageNet search network's step
(model_search_imagenet's three-convolution stem, K=2, edge normalization,
1000 classes) on seeded random 224x224 images, the same step otherwise:
torch_imagenet_steps.csv (one row, method pcdarts).
"""
import argparse
import csv
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "parity", "twins"))
from reference_model import Network, check_folder  # noqa: E402
from run_context import context, stamp  # noqa: E402

SIZES = {
    "smoke": dict(channels=8, layers=3, image_size=16, memory_batches=[2, 4],
                  steps={"pcdarts": 4, "darts1": 2}, timed_steps=3),
    "paper": dict(channels=16, layers=8, image_size=32, memory_batches=[64, 256],
                  steps={"pcdarts": 256, "darts1": 64}, timed_steps=20),
    # The step suite's CPU configurations (`deno task bench --suite step`).
    "tiny": dict(channels=8, layers=5, image_size=16, memory_batches=[],
                 steps={"pcdarts": 32}, timed_steps=5),
    "small": dict(channels=16, layers=8, image_size=32, memory_batches=[],
                  steps={"pcdarts": 64}, timed_steps=5),
}
# The ImageNet search step of each size: the paper's network (C=16, 8 layers,
# K=2) at 128 images per card (the reference's 1024 over 8 cards).
IMAGENET_STEPS = {
    "smoke": dict(channels=8, layers=5, image_size=64, batch=2, timed_steps=2),
    "paper": dict(channels=16, layers=8, image_size=224, batch=128, timed_steps=5),
}
IMAGENET_CLASSES = 1000
IMAGENET_K = 2
MEAN = torch.tensor([0.49139968, 0.48215827, 0.44653124]).view(1, 3, 1, 1)
STD = torch.tensor([0.24703233, 0.24348505, 0.26158768]).view(1, 3, 1, 1)


def read_records(path, size):
    raw = open(path, "rb").read()
    if len(raw) == 0 or len(raw) % 3073:
        raise SystemExit(f"{path}: {len(raw)} bytes is not a whole number of CIFAR-10 records")
    data = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, 3073)
    labels = data[:, 0].long()
    images = data[:, 1:].float().div(255).view(-1, 3, 32, 32)[:, :, :size, :size]
    return ((images - MEAN) / STD).contiguous(), labels


class Stepper:
    def __init__(self, net):
        self.net = net
        self.arch = list(net.arch_parameters().values())
        self.weights = [p for _, p in net.weight_parameters()]
        self.adam = torch.optim.Adam(self.arch, lr=6e-4, betas=(0.5, 0.999), weight_decay=1e-3)
        self.sgd = torch.optim.SGD(self.weights, lr=0.025, momentum=0.9, weight_decay=3e-4)

    def step(self, train, valid):
        self.adam.zero_grad()
        F.cross_entropy(self.net(valid[0]), valid[1]).backward()
        self.adam.step()
        self.sgd.zero_grad()
        loss = F.cross_entropy(self.net(train[0]), train[1])
        loss.backward()
        nn.utils.clip_grad_norm_(self.weights, 5)
        self.sgd.step()
        return loss


def time_steps(stepper, source, count, device):
    """One warm-up step on source(0), then `count` timed ones on source(1..):
    the median and the total milliseconds."""
    stepper.step(*source(0)).item()
    synchronize(device)
    times = []
    for i in range(count):
        train, valid = source(i + 1)
        synchronize(device)
        started = time.perf_counter()
        stepper.step(train, valid).item()
        synchronize(device)
        times.append((time.perf_counter() - started) * 1000)
    return dict(median_ms=round(statistics.median(times), 1), consecutive_total_ms=round(sum(times), 1))


def timed_row(row, build, count, device, label):
    """Fills `row`'s median and total from `time_steps` on the stepper and batch
    source that `build()` makes, or its error (out of memory, mostly); prints
    a line."""
    stepper = source = None
    try:
        stepper, source = build()
        row.update(time_steps(stepper, source, count, device))
    except RuntimeError as e:
        row["error"] = str(e).split("\n")[0][:200]
    finally:
        stepper = source = None
        if device == "cuda":
            torch.cuda.empty_cache()
    print(f"step {label}: median {row['median_ms']} ms, {count} steps {row['consecutive_total_ms']} ms {row['error']}")


def batches(images, labels, batch, device):
    count = images.shape[0]

    def take(index):
        rows = torch.arange(index * batch, (index + 1) * batch) % count
        return images[rows].to(device), labels[rows].to(device)

    return lambda step: (take(2 * step), take(2 * step + 1))


def synchronize(device):
    if device == "cuda":
        torch.cuda.synchronize()


def measure(size_name, data, out, device, steps_only=False, methods=None, timed_steps=None):
    size = dict(SIZES[size_name])
    if timed_steps:
        size["timed_steps"] = timed_steps
    images, labels = read_records(data, size["image_size"])
    torch.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    print(f"reference_step: PyTorch {torch.__version__} on {name}")
    # Every row starts with the context columns of src/bench/csv_schema.ts.
    run = context(f"torch-{size_name}-{stamp()}", f"pytorch-{device}", name,
                  f"torch {torch.__version__}, {torch.get_num_threads()} threads, cudnn.benchmark",
                  size["image_size"], size["channels"], size["layers"])

    memory_rows = []
    for batch in ([] if steps_only else size["memory_batches"]):
        for k in (8, 4, 2, 1):
            row = dict(run, k=k, batch_size=batch, max_memory_allocated="", seconds="", error="")
            started = time.perf_counter()
            net = stepper = train = valid = None
            try:
                if device == "cuda":
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats()
                net = Network(size["channels"], 10, size["layers"], k, True).to(device)
                stepper = Stepper(net)
                source = batches(images, labels, batch, device)
                train, valid = source(0)
                stepper.step(train, valid).item()
                if device == "cuda":
                    row["max_memory_allocated"] = torch.cuda.max_memory_allocated()
            except RuntimeError as e:  # out of memory, mostly
                row["error"] = str(e).split("\n")[0][:200]
            finally:
                net = stepper = train = valid = None
                if device == "cuda":
                    torch.cuda.empty_cache()
            row["seconds"] = round(time.perf_counter() - started, 1)
            print(f"memory K={k} batch {batch}: {row['max_memory_allocated']} bytes {row['error']}")
            memory_rows.append(row)
    if memory_rows:
        write_csv(f"{out}/torch_memory.csv", memory_rows)

    step_rows = []
    for method, batch in size["steps"].items():
        if methods and method not in methods:
            continue
        k, edge_norm = (4, True) if method == "pcdarts" else (1, False)
        row = dict(run, method=method, k=k, edge_normalization=str(edge_norm).lower(), batch_size=batch,
                   median_ms="", consecutive_steps=size["timed_steps"], consecutive_total_ms="", error="")
        timed_row(row, lambda: (Stepper(Network(size["channels"], 10, size["layers"], k, edge_norm).to(device)),
                                batches(images, labels, batch, device)),
                  size["timed_steps"], device, f"{method} batch {batch}")
        step_rows.append(row)
    write_csv(f"{out}/torch_steps.csv", step_rows)
    with open(f"{out}/torch_device.txt", "w") as f:
        f.write(f"{torch.__version__}\t{name}\n")
    if size_name in IMAGENET_STEPS and not steps_only:
        imagenet_step(size_name, out, device, name)


def imagenet_step(size_name, out, device, name):
    """Times the ImageNet search network's step on seeded random images."""
    size = IMAGENET_STEPS[size_name]
    batch, side = size["batch"], size["image_size"]
    run = dict(context(f"torch-{size_name}-imagenet-{stamp()}", f"pytorch-{device}", name,
                       f"torch {torch.__version__}, {torch.get_num_threads()} threads, cudnn.benchmark",
                       side, size["channels"], size["layers"]), dataset="imagenet-random")
    row = dict(run, method="pcdarts", k=IMAGENET_K, edge_normalization="true", batch_size=batch, median_ms="",
               consecutive_steps=size["timed_steps"], consecutive_total_ms="", error="")
    generator = torch.Generator().manual_seed(0)

    def draw():
        images = torch.randn(batch, 3, side, side, generator=generator).to(device)
        return images, torch.randint(0, IMAGENET_CLASSES, (batch,), generator=generator).to(device)

    def build():
        net = Network(size["channels"], IMAGENET_CLASSES, size["layers"], IMAGENET_K, True, stem="imagenet")
        return Stepper(net.to(device)), lambda _: (draw(), draw())

    timed_row(row, build, size["timed_steps"], device, f"pcdarts (ImageNet {side}x{side}, K={IMAGENET_K}) batch {batch}")
    write_csv(f"{out}/torch_imagenet_steps.csv", [row])


def write_csv(path, rows):
    with open(path + ".tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(path + ".tmp", path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="run the search-network parity fixtures in a folder")
    check.add_argument("folder")
    m = sub.add_parser("measure", help="memory and step times of the search step")
    m.add_argument("--size", choices=sorted(SIZES), default="smoke")
    m.add_argument("--data", required=True)
    m.add_argument("--out", default=".")
    m.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    m.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    m.add_argument("--timed-steps", type=int, default=0, help="timed steps (0: the size's)")
    m.add_argument("--steps-only", action="store_true", help="time the steps alone: no memory rows, no ImageNet step")
    m.add_argument("--method", action="append", choices=["pcdarts", "darts1"],
                   help="time this method's step only (repeatable; default: the size's)")
    args = parser.parse_args()
    if args.command == "measure" and args.threads > 0:
        torch.set_num_threads(args.threads)
    if args.command == "check":
        sys.exit(0 if check_folder(args.folder) else 1)
    torch.backends.cudnn.benchmark = True
    measure(args.size, args.data, args.out, args.device, args.steps_only, args.method, args.timed_steps)


if __name__ == "__main__":
    main()
