"""How far DARTS's unrolled architecture gradient moves when its input moves by a
relative 1e-6: the reference method's own figures, in float64 and float32, on the
PyTorch twin of the search network (src/parity/twins/reference_model.py).

The unrolled gradient (DARTS, second order) at the first search step:

    w' = w - xi (dL_train/dw + wd w)          (no momentum buffer before a weight step)
    g  = dL_valid(w')/dalpha - xi (dL_train(w+)/dalpha - dL_train(w-)/dalpha) / 2R
    w+- = w +- R v,  v = dL_valid(w')/dw',  R = 0.01 / |v|

The finite difference divides by 2R whatever ReLU kink or max-pool tie the two
points straddle, so the result can jump when the input moves by rounding.

    /usr/bin/python3 benchmarks/unrolled_sensitivity.py check FIXTURE   # the twin against search_step_darts2
    /usr/bin/python3 benchmarks/unrolled_sensitivity.py draw --draws 8 --out DIR \
        [--fixture ../shared/fixtures/parity/search_step_darts2.safetensors] \
        [--weights scaled|own] [--layers 3]

`--weights scaled` draws the weights N(0, 0.5^2) (the darts2 fixture's
distribution); `own` keeps the network's own initialization (PyTorch's
defaults, seeded), the one a search starts from.

`draw` writes, for each seeded draw d, DIR/draw<d>.safetensors,
DIR/draw<d>_images.safetensors and DIR/draw<d>_all.safetensors: one-step
search-step fixtures (the format of the shared search_step_*.safetensors, only
`step0.arch_grad.*` stored, computed in float64) at the draw, with both batches'
images moved by a relative 1e-6, and with the weights and alphas moved as well;
and DIR/reference.csv: per draw, the float64 and float32 moves of each kind, and
float32's distance from float64 at the draw. `benchmarks/unrolled_sensitivity.ts` runs ours
on the same files.
"""
import argparse
import csv
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "parity", "twins"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpu"))
from reference_model import Network, read_safetensors, write_safetensors  # noqa: E402

# darts2's settings (the reference's train_search.py with --unrolled).
LR = 0.025
MOMENTUM = 0.9
WEIGHT_DECAY = 3e-4
ARCH_LR = 3e-4
ARCH_WEIGHT_DECAY = 1e-3
MOVE = 1e-6
# The draws' size: the shared darts2 fixture's.
C, LAYERS, N, H, CLASSES = 4, 3, 4, 8, 10


def floored_error(a, b):
    """|a - b| / max(|b|, 1e-3 sqrt(n)), over all the tensors together."""
    a = torch.cat([t.flatten().double() for t in a])
    b = torch.cat([t.flatten().double() for t in b])
    return float((a - b).norm() / max(float(b.norm()), 1e-3 * b.numel() ** 0.5))


def unrolled_arch_gradient(net, x_train, y_train, x_valid, y_valid, xi=LR, wd=WEIGHT_DECAY):
    """The unrolled architecture gradient at the first step (no momentum buffers yet)."""
    net.train()
    weights = [p for _, p in net.weight_parameters()]
    arch = list(net.arch_parameters().values())
    start = [w.detach().clone() for w in weights]
    grads = torch.autograd.grad(F.cross_entropy(net(x_train), y_train), weights)
    with torch.no_grad():
        for w, w0, g in zip(weights, start, grads):
            w.copy_(w0 - xi * (g + wd * w0))
    valid = torch.autograd.grad(F.cross_entropy(net(x_valid), y_valid), arch + weights)
    dalpha, v = valid[:len(arch)], valid[len(arch):]
    r = 0.01 / torch.cat([t.flatten() for t in v]).norm()

    def arch_gradient_at(sign):
        with torch.no_grad():
            for w, w0, vi in zip(weights, start, v):
                w.copy_(w0 + sign * r * vi)
        return torch.autograd.grad(F.cross_entropy(net(x_train), y_train), arch)

    plus, minus = arch_gradient_at(1), arch_gradient_at(-1)
    with torch.no_grad():
        for w, w0 in zip(weights, start):
            w.copy_(w0)
    return [d - xi * (p - m) / (2 * r) for d, p, m in zip(dalpha, plus, minus)]


def network_from(tensors, dtype):
    net = Network(C, CLASSES, LAYERS, k=1, edge_norm=False).to(dtype)
    state = {n[len("init.param."):]: t.to(dtype) for n, t in tensors.items() if n.startswith("init.param.")}
    net.load_state_dict(state, strict=False)
    with torch.no_grad():
        for n, p in net.arch_parameters().items():
            p.copy_(tensors["init.arch." + n].to(dtype))
    return net


def gradient_of(tensors, dtype):
    net = network_from(tensors, dtype)
    batch = [tensors["step0.input_train"].to(dtype), tensors["step0.target_train"].long(),
             tensors["step0.input_valid"].to(dtype), tensors["step0.target_valid"].long()]
    return unrolled_arch_gradient(net, *batch)


def check(path):
    """The twin's float64 unrolled gradient against a darts2 search-step fixture's first step."""
    tensors, _ = read_safetensors(path)
    ours = gradient_of(tensors, torch.float64)
    names = ["alphas_normal", "alphas_reduce"]
    error = floored_error(ours, [tensors["step0.arch_grad." + n] for n in names])
    print(f"{path}: step0.arch_grad error {error:.2e}: {'ok' if error < 1e-5 else 'FAILED'}")
    return error < 1e-5


def draw(seed, base=None, weights="scaled"):
    """A random draw: weights N(0, 0.5^2) (vectors N(0, 1)), or the network's own initialization
    (`weights="own"`); alphas N(0, 1e-3^2), images N(0, 1); or, given `base` (a search-step
    fixture's tensors), that fixture's first step."""
    gen = torch.Generator().manual_seed(seed)
    if base is not None:
        return moved_variants({n: t for n, t in base.items()
                               if n.startswith("init.") or n.startswith("step0.input_")
                               or n.startswith("step0.target_")}, gen)
    torch.manual_seed(seed)
    net = Network(C, CLASSES, LAYERS, k=1, edge_norm=False).double()
    tensors = {}
    with torch.no_grad():
        for n, p in net.weight_parameters():
            if weights == "scaled":
                p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * (0.5 if p.dim() > 1 else 1.0))
            tensors["init.param." + n] = p.float()
        for n, p in net.arch_parameters().items():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64) * 1e-3)
            tensors["init.arch." + n] = p.float()
    for split in ("train", "valid"):
        tensors[f"step0.input_{split}"] = torch.randn(N, 3, H, H, generator=gen)
        tensors[f"step0.target_{split}"] = torch.randint(0, CLASSES, (N,), generator=gen).float()
    return moved_variants(tensors, gen)


def moved_variants(tensors, gen):
    """The draw, the draw with its images moved, and with everything moved."""
    # Moved: the images alone; then the weights and alphas as well.
    images = dict(tensors)
    for split in ("train", "valid"):
        images[f"step0.input_{split}"] = nudged(tensors[f"step0.input_{split}"], gen)
    everything = dict(images)
    for n, t in tensors.items():
        if n.startswith("init."):
            everything[n] = nudged(t, gen)
    return tensors, images, everything


def nudged(t, gen):
    """t moved by a relative MOVE, elementwise: t (1 + MOVE u), u ~ N(0, 1)."""
    noise = torch.randn(t.shape, generator=gen, dtype=torch.float64)
    return (t.double() * (1 + MOVE * noise)).float()


def metadata(seed, moved, weights):
    return {"method": "darts2", "weights": weights, "C": str(C), "layers": str(LAYERS), "N": str(N), "H": str(H),
            "num_classes": str(CLASSES), "steps": "1", "seed": str(seed), "unrolled": "true",
            "lr": str(LR), "momentum": str(MOMENTUM), "weight_decay": str(WEIGHT_DECAY),
            "arch_learning_rate": str(ARCH_LR), "arch_betas": json.dumps([0.5, 0.999]),
            "arch_weight_decay": str(ARCH_WEIGHT_DECAY), "grad_clip": "5.0", "computed_in": "float64",
            "moved": moved,
            "source": "benchmarks/unrolled_sensitivity.py (this project's PyTorch twin), first step only"}


VARIANTS = ("draw", "images", "all")


def write_draws(out, draws, seed0, fixture, weights):
    os.makedirs(out, exist_ok=True)
    rows = []
    names = ["alphas_normal", "alphas_reduce"]
    base = read_safetensors(fixture)[0] if fixture else None
    for d in range(draws + (1 if base is not None else 0)):
        seed = seed0 + d
        results = {}
        for label, tensors in zip(VARIANTS, draw(seed, base if d == draws else None, weights)):
            results[label, "f64"] = gradient_of(tensors, torch.float64)
            results[label, "f32"] = gradient_of(tensors, torch.float32)
            stored = dict(tensors)
            for n, g in zip(names, results[label, "f64"]):
                stored["step0.arch_grad." + n] = g
            suffix = "" if label == "draw" else "_" + label
            write_safetensors(f"{out}/draw{d}{suffix}.safetensors", stored, metadata(seed, label, weights if d < draws else "fixture"))
        row = {"draw": d if d < draws else "fixture", "seed": seed,
               "weights": weights if d < draws else "fixture", "layers": LAYERS}
        for label in VARIANTS[1:]:
            for kind in ("f64", "f32"):
                key = f"{'float64' if kind == 'f64' else 'reference_float32'}_move_{label}"
                row[key] = floored_error(results[label, kind], results["draw", kind])
        row["reference_float32_vs_float64"] = floored_error(results["draw", "f32"], results["draw", "f64"])
        rows.append(row)
        print(f"draw {d} (seed {seed}): images moved: float64 {row['float64_move_images']:.1e}, "
              f"float32 {row['reference_float32_move_images']:.1e}; everything moved: float64 "
              f"{row['float64_move_all']:.1e}, float32 {row['reference_float32_move_all']:.1e}; "
              f"float32 from float64 {row['reference_float32_vs_float64']:.1e}", flush=True)
    with open(f"{out}/reference.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def main():
    global LAYERS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check")
    c.add_argument("fixture")
    d = sub.add_parser("draw")
    d.add_argument("--draws", type=int, default=8)
    d.add_argument("--seed", type=int, default=1000)
    d.add_argument("--out", required=True)
    d.add_argument("--fixture", help="also a last draw from this darts2 search-step fixture's first step")
    d.add_argument("--weights", choices=["scaled", "own"], default="scaled")
    d.add_argument("--layers", type=int, default=LAYERS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "check":
        sys.exit(0 if check(args.fixture) else 1)
    LAYERS = args.layers
    write_draws(args.out, args.draws, args.seed, args.fixture, args.weights)


if __name__ == "__main__":
    main()
