"""PyTorch model of the evaluation network (reference `model.NetworkCIFAR`), written
for this project as a measurement and fixture-making twin, like reference_model.py.

`check` rebuilds the network of an evaluation-network fixture, runs it in float32
and in float64 on the fixture's weights, and prints how far each lands from the
fixture. That measures how precisely the fixture itself pins its gradients:

    /usr/bin/python3 src/parity/twins/reference_eval_model.py check \
        ../shared/fixtures/parity/eval_network.safetensors

`make` writes a fixture of another size, computed in float64 (stored as float32):

    /usr/bin/python3 src/parity/twins/reference_eval_model.py make OUT.safetensors --batch 8
"""
import argparse
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from reference_model import (DilConv, FactorizedReduce, Identity, ReLUConvBN, SepConv,
                             read_safetensors, rel, write_safetensors)

PC_DARTS_CIFAR = {
    "normal": [["sep_conv_3x3", 1], ["skip_connect", 0], ["sep_conv_3x3", 0], ["dil_conv_3x3", 1],
               ["sep_conv_5x5", 0], ["sep_conv_3x3", 1], ["avg_pool_3x3", 0], ["dil_conv_3x3", 1]],
    "normal_concat": [2, 3, 4, 5],
    "reduce": [["sep_conv_5x5", 1], ["max_pool_3x3", 0], ["sep_conv_5x5", 1], ["sep_conv_5x5", 2],
               ["sep_conv_3x3", 0], ["sep_conv_3x3", 3], ["sep_conv_3x3", 1], ["sep_conv_3x3", 2]],
    "reduce_concat": [2, 3, 4, 5],
}


def operation(name, c, stride):
    # In the evaluation cells the pooling ops have no BatchNorm after them.
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride=stride, padding=1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=stride, padding=1, count_include_pad=False)
    if name == "skip_connect":
        return Identity() if stride == 1 else FactorizedReduce(c, c, True)
    kind, kernel, padding = {"sep_conv_3x3": (SepConv, 3, 1), "sep_conv_5x5": (SepConv, 5, 2),
                             "dil_conv_3x3": (DilConv, 3, 2), "dil_conv_5x5": (DilConv, 5, 4)}[name]
    return kind(c, kernel, stride, padding, True)


class EvalCell(nn.Module):
    def __init__(self, genotype, c_prev_prev, c_prev, c, reduction, reduction_prev):
        super().__init__()
        self.preprocess0 = (FactorizedReduce(c_prev_prev, c, True) if reduction_prev
                            else ReLUConvBN(c_prev_prev, c, 1, 1, 0, True))
        self.preprocess1 = ReLUConvBN(c_prev, c, 1, 1, 0, True)
        pairs = genotype["reduce" if reduction else "normal"]
        self.concat = genotype["reduce_concat" if reduction else "normal_concat"]
        self._ops = nn.ModuleList([operation(name, c, 2 if reduction and index < 2 else 1)
                                   for name, index in pairs])
        self.indices = [index for _, index in pairs]

    def forward(self, s0, s1, drop_prob=0.0):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self._ops) // 2):
            a, b = 2 * node, 2 * node + 1
            h = [self._ops[i](states[self.indices[i]]) for i in (a, b)]
            if self.training and drop_prob > 0:
                # As the reference: every edge but an identity, per image.
                h = [x if isinstance(self._ops[i], Identity) else drop_path(x, drop_prob)
                     for x, i in zip(h, (a, b))]
            states.append(h[0] + h[1])
        return torch.cat([states[i] for i in self.concat], dim=1)


def drop_path(x, drop_prob):
    keep = 1.0 - drop_prob
    mask = torch.empty(x.size(0), 1, 1, 1, dtype=x.dtype, device=x.device).bernoulli_(keep)
    return x.div(keep).mul(mask)


class AuxiliaryHead(nn.Module):
    def __init__(self, c, classes):
        super().__init__()
        self.features = nn.Sequential(
            nn.ReLU(inplace=False), nn.AvgPool2d(5, stride=3, padding=0, count_include_pad=False),
            nn.Conv2d(c, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU(inplace=False),
            nn.Conv2d(128, 768, 2, bias=False), nn.BatchNorm2d(768), nn.ReLU(inplace=False))
        self.classifier = nn.Linear(768, classes)

    def forward(self, x):
        x = self.features(x)
        return self.classifier(x.view(x.size(0), -1))


class EvalNetwork(nn.Module):
    def __init__(self, genotype, c, layers, classes, auxiliary=True):
        super().__init__()
        c_curr = 3 * c
        self.stem = nn.Sequential(nn.Conv2d(3, c_curr, 3, padding=1, bias=False), nn.BatchNorm2d(c_curr))
        c_prev_prev, c_prev, c_curr = c_curr, c_curr, c
        self.cells = nn.ModuleList()
        reduction_prev = False
        self.auxiliary_index = 2 * layers // 3
        for i in range(layers):
            reduction = i in (layers // 3, 2 * layers // 3)
            if reduction:
                c_curr *= 2
            self.cells.append(EvalCell(genotype, c_prev_prev, c_prev, c_curr, reduction, reduction_prev))
            reduction_prev = reduction
            c_prev_prev, c_prev = c_prev, len(genotype["normal_concat"]) * c_curr
            if i == self.auxiliary_index:
                c_auxiliary = c_prev
        self.auxiliary_head = AuxiliaryHead(c_auxiliary, classes) if auxiliary else None
        self.classifier = nn.Linear(c_prev, classes)

    def forward(self, x, drop_prob=0.0):
        s0 = s1 = self.stem(x)
        auxiliary = None
        for i, cell in enumerate(self.cells):
            s0, s1 = s1, cell(s0, s1, drop_prob)
            if i == self.auxiliary_index and self.auxiliary_head is not None:
                auxiliary = self.auxiliary_head(s1)
        out = F.adaptive_avg_pool2d(s1, 1)
        return self.classifier(out.view(out.size(0), -1)), auxiliary


def forward_backward(net, x, target, auxiliary_weight):
    net.train()
    for p in net.parameters():
        p.grad = None
    logits, auxiliary = net(x)
    loss = F.cross_entropy(logits, target) + auxiliary_weight * F.cross_entropy(auxiliary, target)
    loss.backward()
    return logits, auxiliary, loss


def load(tensors, meta, dtype):
    net = EvalNetwork(json.loads(meta["genotype"]), int(meta["C"]), int(meta["layers"]),
                      int(meta["num_classes"])).to(dtype)
    state = {n[len("param."):]: t.to(dtype) for n, t in tensors.items() if n.startswith("param.")}
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert all(m.endswith(("running_mean", "running_var", "num_batches_tracked")) for m in missing), missing
    return net


def check(path):
    tensors, meta = read_safetensors(path)
    weight = float(meta.get("auxiliary_weight", "0.4"))
    print(f"{path}: this PyTorch {torch.__version__} on the fixture's weights, against the fixture")
    print("precision  logits    aux logits  loss      worst gradient (of %s)" % "all")
    grads = {}
    float64_error = 0.0
    for dtype in (torch.float32, torch.float64):
        net = load(tensors, meta, dtype)
        logits, auxiliary, loss = forward_backward(net, tensors["input"].to(dtype),
                                                   tensors["target"].long(), weight)
        grads[dtype] = {n: p.grad.detach() for n, p in net.named_parameters()}
        worst = max((rel(g, tensors["grad." + n]), n) for n, g in grads[dtype].items())
        if dtype == torch.float64:
            float64_error = max(worst[0], rel(logits, tensors["logits"]), rel(auxiliary, tensors["logits_aux"]))
        print(f"{str(dtype)[6:]:9}  {rel(logits, tensors['logits']):.2e}  {rel(auxiliary, tensors['logits_aux']):.2e}"
              f"    {rel(loss.reshape(1), tensors['loss']):.2e}  {worst[0]:.2e} ({worst[1]})")
    worst = max((rel(grads[torch.float32][n], g), n) for n, g in grads[torch.float64].items())
    print(f"float32 against float64 (this machine): worst gradient {worst[0]:.2e} ({worst[1]})")
    # A float64 fixture stored as float32 pins float64 arithmetic to about 1e-7.
    return float64_error < 1e-5


def make(out, c, layers, batch, classes, seed):
    torch.manual_seed(seed)
    net = EvalNetwork(PC_DARTS_CIFAR, c, layers, classes).to(torch.float64)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn_like(p) * (0.5 if p.dim() > 1 else 1.0))
    x = torch.randn(batch, 3, 32, 32, dtype=torch.float64)
    target = torch.randint(0, classes, (batch,))
    logits, auxiliary, loss = forward_backward(net, x, target, 0.4)
    tensors = {"input": x, "target": target.double(), "logits": logits, "logits_aux": auxiliary,
               "loss": loss.reshape(1)}
    for n, p in net.named_parameters():
        tensors["param." + n] = p
        tensors["grad." + n] = p.grad
    meta = {"C": str(c), "layers": str(layers), "N": str(batch), "H": "32", "num_classes": str(classes),
            "auxiliary_weight": "0.4", "drop_path_prob": "0.0", "genotype_name": "PC_DARTS_cifar",
            "genotype": json.dumps(PC_DARTS_CIFAR),
            "source": "src/parity/twins/reference_eval_model.py (this project's PyTorch twin), "
                      "computed in float64, stored as float32"}
    write_safetensors(out, tensors, meta)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    check_parser = sub.add_parser("check", help="run the twin in float32 and float64 on a fixture")
    check_parser.add_argument("fixture")
    make_parser = sub.add_parser("make", help="write an evaluation-network fixture (float64 arithmetic)")
    make_parser.add_argument("out")
    make_parser.add_argument("--channels", type=int, default=8)
    make_parser.add_argument("--layers", type=int, default=5)
    make_parser.add_argument("--batch", type=int, default=8)
    make_parser.add_argument("--classes", type=int, default=10)
    make_parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.command == "check":
        check(args.fixture)
    else:
        make(args.out, args.channels, args.layers, args.batch, args.classes, args.seed)


if __name__ == "__main__":
    main()
