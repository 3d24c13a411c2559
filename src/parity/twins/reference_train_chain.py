"""The first training steps of the evaluation network, run by the PyTorch twin
(reference_eval_model.py) in float64 and in float32, as the reference's
train.py takes them: cross-entropy plus the auxiliary loss, gradient norm
clipped, then SGD with momentum and weight decay.

Input: a safetensors file with the network's weights (`param.*`, torch layout),
one batch per step (`input.<step>` NCHW, `target.<step>`), and metadata
`genotype`, `C`, `layers`, `num_classes`, `lr`, `momentum`, `weight_decay`,
`gradient_clip`, `auxiliary_weight`, `steps`.

Output (stdout, one JSON line): the float64 losses, and per step the worst
relative distance from them of PyTorch's float32 chain, unperturbed and with
every weight and image moved by about 1e-6 relative (as the parity net judges
conditioning):

    /usr/bin/python3 src/parity/twins/reference_train_chain.py CHAIN.safetensors
"""
import json
import sys

import torch

from draw_parity_fixtures import PERTURBED_RUNS, perturb
from reference_eval_model import forward_backward, load
from reference_model import read_safetensors


def chain(tensors, meta, dtype, trial):
    moved = {n: perturb(t, trial) if n.startswith(("param.", "input.")) else t for n, t in tensors.items()}
    net = load(moved, meta, dtype)
    sgd = torch.optim.SGD(net.parameters(), lr=float(meta["lr"]), momentum=float(meta["momentum"]),
                          weight_decay=float(meta["weight_decay"]))
    losses = []
    for step in range(int(meta["steps"])):
        _, _, loss = forward_backward(net, moved[f"input.{step}"].to(dtype), moved[f"target.{step}"].long(),
                                      float(meta["auxiliary_weight"]))
        losses.append(loss.item())
        torch.nn.utils.clip_grad_norm_(net.parameters(), float(meta["gradient_clip"]))
        sgd.step()
    return losses


def main():
    torch.set_num_threads(2)
    tensors, meta = read_safetensors(sys.argv[1])
    truth = chain(tensors, meta, torch.float64, -1)
    runs = [chain(tensors, meta, torch.float32, trial) for trial in range(-1, PERTURBED_RUNS)]
    spread = [max(abs(run[s] - truth[s]) / abs(truth[s]) for run in runs) for s in range(len(truth))]
    print(json.dumps({"float64": truth, "float32": runs[0], "float32_error": spread}))


if __name__ == "__main__":
    main()
