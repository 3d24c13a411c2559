"""Parity fixtures at randomly drawn shapes and values, computed in float64 by the
PyTorch twins (reference_model.py, reference_eval_model.py), each with the twin's
own float32 error on the same draw.

The twins first prove themselves on the reference fixtures (the shared folder);
a twin that misses them writes nothing. Then draw i of a run with seed S uses
the seed S + i, whose kind is KINDS[(S + i) % 20], so one draw can be written
again alone:

    /usr/bin/python3 src/parity/twins/draw_parity_fixtures.py OUT_DIR --seed S --count N \
        [--reference ../shared/fixtures/parity] [--only SEED]

Every draw picks a kind (a primitive at stride 1 or 2, ReLUConvBN,
FactorizedReduce, a MixedOp at K = 1, 2, 4 or 8, a search network with or
without edge normalization, an evaluation network with a published or random
genotype), its sizes, and its values (weight scale, input mean and spread).
A draw whose float32 computation (unperturbed, and with every input and weight
moved by about 1e-6, relative) lands further than REDRAW_ABOVE from float64 on
some gradient is ill-conditioned: no float32 code can be held to it, so it is
drawn again (seed + 1,000,000, up to 4 times), and the manifest says so. The
float32 error of the draw that is kept is recorded in its metadata
(`float32_reference_output_error`, `float32_reference_gradient_error`); our
parity check passes a float64 fixture when ours is within max(1e-4, 10 times
that).

The last line printed is a JSON manifest: one entry per draw.
"""
import argparse
import json
import os
import random
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_model import (PRIMITIVES, FactorizedReduce, MixedOp, Network, ReLUConvBN, check_folder,  # noqa: E402
                             genotype, primitive, rel, write_safetensors)
from reference_eval_model import PC_DARTS_CIFAR, EvalNetwork, check  # noqa: E402

REDRAW_ABOVE = 1e-3
# The reference's float32 error is the worst of PERTURBED_RUNS + 1 runs: the
# draw itself, and the draw with every input and weight moved by about
# PERTURBATION (relative; about the rounding that a float32 forward pass
# accumulates over a few layers). A ReLU input or a max-pool window within that
# of its kink sends a gradient either way in float32, whatever the summation
# order, and a single float32 run does not show it.
PERTURBATION = 1e-6
PERTURBED_RUNS = 4
REDRAW_OFFSET = 1_000_000
MAX_REDRAWS = 4

DARTS_V1 = {
    "normal": [["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["skip_connect", 0], ["sep_conv_3x3", 1],
               ["skip_connect", 0], ["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["skip_connect", 2]],
    "normal_concat": [2, 3, 4, 5],
    "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1], ["skip_connect", 2], ["max_pool_3x3", 0],
               ["max_pool_3x3", 0], ["skip_connect", 2], ["skip_connect", 2], ["avg_pool_3x3", 0]],
    "reduce_concat": [2, 3, 4, 5],
}
DARTS_V2 = {
    "normal": [["sep_conv_3x3", 0], ["sep_conv_3x3", 1], ["sep_conv_3x3", 0], ["sep_conv_3x3", 1],
               ["sep_conv_3x3", 1], ["skip_connect", 0], ["skip_connect", 0], ["dil_conv_3x3", 2]],
    "normal_concat": [2, 3, 4, 5],
    "reduce": [["max_pool_3x3", 0], ["max_pool_3x3", 1], ["skip_connect", 2], ["max_pool_3x3", 1],
               ["max_pool_3x3", 0], ["skip_connect", 2], ["skip_connect", 2], ["max_pool_3x3", 1]],
    "reduce_concat": [2, 3, 4, 5],
}
PUBLISHED = {"PC_DARTS_cifar": PC_DARTS_CIFAR, "DARTS_V1": DARTS_V1, "DARTS_V2": DARTS_V2}

# Kinds in the order a run cycles through them, so that any 20 consecutive
# draws hold each at least once: every primitive, ReLUConvBN and
# FactorizedReduce, the MixedOp at every K, both networks, both cell kinds (every
# network has normal and reduction cells).
KINDS = (["primitive:" + p for p in PRIMITIVES] + ["relu_conv_bn", "factorized_reduce"]
         + ["mixed_op:%d" % k for k in (1, 2, 4, 8)] + ["search_network", "eval_network"] * 3)


def perturb(t, trial):
    """Trial -1: `t` itself; else `t` with each element moved by about PERTURBATION relative."""
    if trial < 0 or not t.is_floating_point():
        return t
    generator = torch.Generator().manual_seed(7919 + trial)
    return t * (1 + PERTURBATION * torch.randn(t.shape, generator=generator, dtype=t.dtype))


def float32_spread(outputs, grads, runs32):
    """The worst float32 run against float64: outputs, and (error, tensor, per-tensor map) of gradients.

    The map holds, per gradient tensor, its worst relative error over the unperturbed and
    perturbed float32 runs (two significant digits), as the reference fixtures record it."""
    out_error = max(rel(o[n], t) for o, _ in runs32 for n, t in outputs.items())
    per_tensor = {n: max(rel(g32[n], g) for _, g32 in runs32) for n, g in grads.items()}
    name = max(per_tensor, key=lambda n: per_tensor[n])
    spread = {n: float("%.2g" % e) for n, e in per_tensor.items()}
    return out_error, (per_tensor[name], name, spread)


def values(rng):
    """The value distribution of a draw: weight scale, input mean and spread."""
    return {"weight_scale": round(rng.uniform(0.2, 1.5), 3), "input_mean": round(rng.uniform(-1.5, 1.5), 3),
            "input_spread": round(rng.uniform(0.3, 3.0), 3)}


def fill(module, scale, generator):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=p.dtype) * (scale if p.dim() > 1 else 1.0))


def random_input(shape, v, generator):
    return v["input_mean"] + v["input_spread"] * torch.randn(shape, generator=generator, dtype=torch.float64)


def module_case(build, shape, v, seed, prefix, extra=None):
    """A module's forward and the backward of sum(y * r), in float64 and float32."""
    generator = torch.Generator().manual_seed(seed)
    module64 = build().double().train()
    fill(module64, v["weight_scale"], generator)
    x64 = random_input(shape, v, generator)
    alpha64 = torch.randn(len(PRIMITIVES), generator=generator, dtype=torch.float64) if extra else None
    results = []
    for trial, dtype in enumerate([torch.float64] + [torch.float32] * (1 + PERTURBED_RUNS)):
        module = build().to(dtype).train()
        module.load_state_dict({k: perturb(t, trial - 1).to(dtype) for k, t in module64.state_dict().items()})
        x = perturb(x64, trial - 1).to(dtype).clone().requires_grad_(True)
        alpha = alpha64.to(dtype).clone().requires_grad_(True) if extra else None
        y = module(x, F.softmax(alpha, dim=-1)) if extra else module(x)
        if dtype == torch.float64:
            r = torch.randn(y.shape, generator=generator, dtype=torch.float64)
        (y * r.to(dtype)).sum().backward()
        grads = {"dx": x.grad}
        if extra:
            grads["dalpha"] = alpha.grad
        grads.update({"grad." + n: p.grad for n, p in module.named_parameters() if p.grad is not None})
        results.append(({"y": y}, grads))
    (outputs, grads), runs32 = results[0], results[1:]
    y = outputs["y"]
    tensors = {prefix + "x": x64, prefix + "y": y, prefix + "r": r}
    if extra:
        tensors[prefix + "alpha"] = alpha64
    for n, p in module64.named_parameters():
        tensors[prefix + "param." + n] = p
    for n, g in grads.items():
        tensors[prefix + n] = g
    out_error, (error, name, spread) = float32_spread(outputs, grads, runs32)
    return tensors, out_error, (error, name, {prefix + n: e for n, e in spread.items()})


def draw_primitive(rng, seed, name):
    # FactorizedReduce (skip_connect at stride 2) takes even channels and sizes.
    stride = rng.choice([1, 2])
    even = name == "factorized_reduce" or (name == "skip_connect" and stride == 2)
    c, h, n = rng.randint(2, 12), rng.randint(5, 12), rng.randint(2, 5)
    if even:
        c, h = c + c % 2, h + h % 2
    v = values(rng)
    if name == "relu_conv_bn":
        kernel = rng.choice([1, 3])
        out = rng.randint(2, 12)
        build = lambda: ReLUConvBN(c, out, kernel, 1, (kernel - 1) // 2, False)  # noqa: E731
        prefix, shape = "relu_conv_bn.", {"C": c, "C_out": out, "kernel": kernel}
    elif name == "factorized_reduce":
        c_out = 2 * rng.randint(1, 6)
        build = lambda: FactorizedReduce(c, c_out, False)  # noqa: E731
        prefix, shape = "factorized_reduce.", {"C": c, "C_out": c_out}
    else:
        build = lambda: primitive(name, c, stride)  # noqa: E731
        prefix, shape = "%s.s%d." % (name, stride), {"C": c, "stride": stride}
    tensors, out_error, worst = module_case(build, (n, c, h, h), v, seed, prefix)
    # ReLUConvBN and FactorizedReduce are recognised by their names, not listed as cases.
    cases = {} if name in ("relu_conv_bn", "factorized_reduce") else {prefix: {"primitive": name, "stride": stride}}
    meta = {"cases": json.dumps(cases)}
    return tensors, meta, out_error, worst, dict(shape, N=n, H=h, **v)


def draw_mixed_op(rng, seed, k):
    stride = rng.choice([1, 2])
    # At stride 2 the primitives' channels and the sizes are even (FactorizedReduce, the 2x2 pooled bypass).
    per_op, h, n = rng.randint(1, 3), rng.randint(5, 10), rng.randint(2, 4)
    if stride == 2:
        per_op, h = 2 * per_op, h + h % 2
    c = k * per_op
    v = values(rng)
    prefix = "mixed.s%d." % stride
    tensors, out_error, worst = module_case(lambda: MixedOp(c, stride, k), (n, c, h, h), v, seed, prefix, extra=True)
    return tensors, {}, out_error, worst, dict(K=k, C=c, stride=stride, N=n, H=h, **v)


def network_case(build, shape, v, seed, target_classes, auxiliary_weight=None, arch=False):
    generator = torch.Generator().manual_seed(seed)
    net64 = build().double()
    fill(net64, v["weight_scale"], generator)
    if arch:
        with torch.no_grad():
            for p in net64.arch_parameters().values():
                p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64))
    x64 = random_input(shape, v, generator)
    target = torch.randint(0, target_classes, (shape[0],), generator=generator)
    results = []
    for trial, dtype in enumerate([torch.float64] + [torch.float32] * (1 + PERTURBED_RUNS)):
        net = build().to(dtype).train()
        net.load_state_dict({k: perturb(t, trial - 1).to(dtype) for k, t in net64.state_dict().items()})
        x = perturb(x64, trial - 1).to(dtype)
        if auxiliary_weight is None:
            logits = net(x)
            loss = F.cross_entropy(logits, target)
            outputs = {"logits": logits, "loss": loss.reshape(1)}
        else:
            logits, aux = net(x)
            loss = F.cross_entropy(logits, target) + auxiliary_weight * F.cross_entropy(aux, target)
            outputs = {"logits": logits, "logits_aux": aux, "loss": loss.reshape(1)}
        loss.backward()
        grads = {}
        arch_ids = set()
        if arch:
            for n, p in net.arch_parameters().items():
                grads["arch_grad." + n] = p.grad
                arch_ids.add(id(p))
        for n, p in net.named_parameters():
            if id(p) not in arch_ids and p.grad is not None:
                grads["grad." + n] = p.grad
        results.append((outputs, grads))
    (outputs, grads), runs32 = results[0], results[1:]
    tensors = {"input": x64, "target": target.double(), **outputs}
    arch_ids = set()
    if arch:
        for n, p in net64.arch_parameters().items():
            tensors["arch." + n] = p
            arch_ids.add(id(p))
    for n, p in net64.named_parameters():
        if id(p) not in arch_ids:
            tensors["param." + n] = p
    tensors.update(grads)
    return (tensors, net64, *float32_spread(outputs, grads, runs32))


def draw_search_network(rng, seed):
    k = rng.choice([1, 2, 4])
    c = k * rng.randint(1, 3) if k > 1 else rng.randint(2, 6)
    layers, h, n, classes = rng.randint(3, 5), rng.choice([8, 12, 16]), rng.randint(2, 4), rng.randint(3, 10)
    edge_norm = k > 1 and rng.random() < 0.75
    v = values(rng)
    build = lambda: Network(c, classes, layers, k, edge_norm)  # noqa: E731
    tensors, net, out_error, worst = network_case(build, (n, 3, h, h), v, seed, classes, arch=True)
    meta = {"C": str(c), "layers": str(layers), "N": str(n), "H": str(h), "num_classes": str(classes),
            "genotype": json.dumps(genotype(net))}
    return tensors, meta, out_error, worst, dict(K=k, C=c, layers=layers, edge_norm=edge_norm, N=n, H=h,
                                                 classes=classes, **v)


def random_genotype(rng):
    ops = [p for p in PRIMITIVES if p != "none"]
    cell = lambda: [[rng.choice(ops), j] for i in range(4) for j in sorted(rng.sample(range(i + 2), 2))]  # noqa: E731
    return {"normal": cell(), "normal_concat": [2, 3, 4, 5], "reduce": cell(), "reduce_concat": [2, 3, 4, 5]}


def draw_eval_network(rng, seed):
    name = rng.choice(list(PUBLISHED) + ["random"])
    cell = PUBLISHED[name] if name in PUBLISHED else random_genotype(rng)
    # The auxiliary head pools 5x5 windows at stride 3 and then needs a 2x2 map: 32x32 input.
    c, layers, n, classes = rng.randint(2, 5), rng.randint(3, 4), rng.randint(4, 6), rng.randint(3, 10)
    v = values(rng)
    build = lambda: EvalNetwork(cell, c, layers, classes)  # noqa: E731
    tensors, _, out_error, worst = network_case(build, (n, 3, 32, 32), v, seed, classes, auxiliary_weight=0.4)
    meta = {"C": str(c), "layers": str(layers), "N": str(n), "H": "32", "num_classes": str(classes),
            "auxiliary_weight": "0.4", "drop_path_prob": "0.0", "genotype_name": name, "genotype": json.dumps(cell)}
    return tensors, meta, out_error, worst, dict(genotype=name, C=c, layers=layers, N=n, classes=classes, **v)


def draw(kind_seed, seed):
    """The draw of `seed`, of kind KINDS[kind_seed % len(KINDS)]."""
    kind = KINDS[kind_seed % len(KINDS)]
    rng = random.Random(seed)
    if kind.startswith("primitive:"):
        return kind, draw_primitive(rng, seed, kind.split(":")[1])
    if kind in ("relu_conv_bn", "factorized_reduce"):
        return kind, draw_primitive(rng, seed, kind)
    if kind.startswith("mixed_op:"):
        return kind, draw_mixed_op(rng, seed, int(kind.split(":")[1]))
    if kind == "search_network":
        return kind, draw_search_network(rng, seed)
    return kind, draw_eval_network(rng, seed)


def write_draw(out_dir, base_seed):
    seed = base_seed
    rejected = []
    for attempt in range(MAX_REDRAWS + 1):
        kind, (tensors, meta, out_error, worst, shape) = draw(base_seed, seed)
        if worst[0] <= REDRAW_ABOVE or attempt == MAX_REDRAWS:
            break
        rejected.append({"seed": seed, "float32_reference_gradient_error": worst[0], "worst": worst[1]})
        seed += REDRAW_OFFSET
    path = os.path.join(out_dir, "draw-%d.safetensors" % base_seed)
    meta = dict(meta, computed_in="float64", seed=str(seed), draw_seed=str(base_seed), kind=kind,
                draw=json.dumps(shape), float32_reference_output_error=repr(out_error),
                float32_reference_gradient_error=repr(worst[0]), float32_reference_worst_tensor=worst[1],
                float32_reference_gradient_spread=json.dumps(worst[2]),
                float32_reference_gradient_spread_how="per gradient tensor: the worst relative error of the "
                "twin's own float32 computation against this float64 truth, unperturbed and in %d runs with "
                "inputs, weights and architecture parameters moved by %g (relative)" % (PERTURBED_RUNS, PERTURBATION),
                redrawn=json.dumps(rejected),
                source="src/parity/twins/draw_parity_fixtures.py (this project's PyTorch twins), "
                       "computed in float64, stored as float32")
    write_safetensors(path, tensors, meta)
    return {"file": path, "seed": base_seed, "kept_seed": seed, "kind": kind, "draw": shape,
            "float32_reference_output_error": out_error, "float32_reference_gradient_error": worst[0],
            "worst_tensor": worst[1], "redrawn": rejected}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--only", type=int, help="write only the draw of this seed (replays one draw)")
    parser.add_argument("--reference", help="folder of the reference fixtures the twins must pass first")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.reference:
        ok = check_folder(args.reference)
        eval_path = os.path.join(args.reference, "eval_network.safetensors")
        if os.path.exists(eval_path):
            ok &= check(eval_path)
        if not ok:
            print("the twins miss the reference fixtures; no draws written", file=sys.stderr)
            sys.exit(1)
    os.makedirs(args.out, exist_ok=True)
    seeds = [args.only] if args.only is not None else [args.seed + i for i in range(args.count)]
    manifest = []
    for seed in seeds:
        entry = write_draw(args.out, seed)
        print("draw %d: %s %s, float32 error %.1e%s" % (
            seed, entry["kind"], json.dumps(entry["draw"]), entry["float32_reference_gradient_error"],
            " (drawn again %d times)" % len(entry["redrawn"]) if entry["redrawn"] else ""), file=sys.stderr)
        manifest.append(entry)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
