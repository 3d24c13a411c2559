"""The reference's training step (train.py: NetworkCIFAR from a genotype, the
auxiliary head at weight 0.4 where the configuration has one, drop-path, SGD
with momentum 0.9 and weight decay 3e-4, gradient norm clipped at 5) timed on
the CPU, on this project's PyTorch twin of the evaluation network
(src/parity/twins/reference_eval_model.py), for measurement only:

    python3 benchmarks/reference_train_step.py --config cpu|paper --threads N \
        [--timed-steps N] [--seed S]

It prints one JSON line: the configuration, the threads, every timed step's
milliseconds, their median, and PyTorch's version. The images are seeded normal
draws at the configuration's side, the labels seeded integers; one untimed
warm-up step comes first.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "parity", "twins"))
from reference_eval_model import PC_DARTS_CIFAR, EvalNetwork  # noqa: E402

# The training-step suite's configurations (`deno task bench --suite train-step`).
CONFIGS = {
    "smoke": dict(channels=4, layers=3, image_size=16, batch=8, auxiliary=False, drop_path=0.0),
    "cpu": dict(channels=16, layers=5, image_size=16, batch=64, auxiliary=False, drop_path=0.0),
    "paper": dict(channels=36, layers=20, image_size=32, batch=96, auxiliary=True, drop_path=0.2),
}
AUXILIARY_WEIGHT = 0.4


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", choices=sorted(CONFIGS), default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's default)")
    parser.add_argument("--timed-steps", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    c = CONFIGS[args.config]
    torch.manual_seed(args.seed)
    net = EvalNetwork(PC_DARTS_CIFAR, c["channels"], c["layers"], 10, auxiliary=c["auxiliary"])
    net.train()
    optimizer = torch.optim.SGD(net.parameters(), 0.025, momentum=0.9, weight_decay=3e-4)
    generator = torch.Generator().manual_seed(args.seed)
    side = c["image_size"]
    images = torch.randn(c["batch"], 3, side, side, generator=generator)
    labels = torch.randint(0, 10, (c["batch"],), generator=generator)

    def step():
        optimizer.zero_grad()
        logits, auxiliary = net(images, c["drop_path"])
        loss = F.cross_entropy(logits, labels)
        if auxiliary is not None:
            loss = loss + AUXILIARY_WEIGHT * F.cross_entropy(auxiliary, labels)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        optimizer.step()
        return loss.item()

    step()
    times = []
    for _ in range(args.timed_steps):
        started = time.perf_counter()
        step()
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({
        "config": args.config,
        "threads": torch.get_num_threads(),
        "ms": times,
        "median_ms": statistics.median(times),
        "runtime": f"PyTorch {torch.__version__} on the CPU",
    }))


if __name__ == "__main__":
    main()
