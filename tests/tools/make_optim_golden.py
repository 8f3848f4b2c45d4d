#!/usr/bin/python3
"""Writes PyTorch reference trajectories for dptrain's optimizers to tests/golden/optim_*.json.

Run with Debian's python3-torch (the python3 on PATH may lack torch):
    /usr/bin/python3 tests/tools/make_optim_golden.py [--out tests/golden]
CI never runs this; the C++ tests (tests/optim/test_golden.cpp) read only the files it writes.

Each case runs one torch.optim optimizer on a small float32 parameter vector for a few steps with
fixed gradients and per-step learning rates, and records:
  settings                 the optimizer's hyperparameters (dptrain OptimizerSettings fields)
  params0                  initial parameters
  steps[k].lr, .grad       the learning rate and gradient of step k
  steps[k].params          the parameters after step k
  final_state              torch's per-parameter state after the last step, by slot name
Inputs are short decimals so that torch (decimal -> double -> float32) and the C++ reader (same
path) use identical float32 inputs; outputs are float32 values printed with 9 significant digits.
"""
import argparse
import json
import os
import re

import torch

N = 6  # parameters per case


def f32(xs):
    """float32 values as 9-significant-digit numbers (exact round trip through float32)."""
    return [float(f"{x:.9g}") for x in torch.as_tensor(xs, dtype=torch.float32).tolist()]


# Gradient sequence: mixed signs and magnitudes, an exact zero and a tiny value (eps matters).
GRADS = [
    [0.5, -1.25, 0.0, 3.0, 1e-9, -0.02],
    [0.25, -1.0, 0.1, -2.0, 2e-9, 0.03],
    [-0.75, 0.5, 0.0, 1.5, -1e-9, -0.01],
    [0.125, -0.5, -0.2, 0.75, 0.0, 0.05],
    [1.0, 0.25, 0.3, -0.25, 3e-9, -0.04],
]
PARAMS0 = [1.0, -0.5, 0.25, 2.0, -1.5, 0.0]


def CONST_LR(lr):
    return [lr] * len(GRADS)


VARYING_LR = [0.1, 0.08, 0.05, 0.02, 0.01]

CASES = {
    "sgd": [
        ("sgd_plain", dict(momentum=0.0, nesterov=False, weight_decay=0.0), CONST_LR(0.1)),
        ("sgd_weight_decay", dict(momentum=0.0, nesterov=False, weight_decay=0.01), CONST_LR(0.1)),
        ("sgd_momentum", dict(momentum=0.9, nesterov=False, weight_decay=0.0), CONST_LR(0.1)),
        ("sgd_momentum_wd_varying_lr", dict(momentum=0.9, nesterov=False, weight_decay=5e-4), VARYING_LR),
        ("sgd_nesterov_wd", dict(momentum=0.9, nesterov=True, weight_decay=0.01), CONST_LR(0.05)),
    ],
    "adam": [
        ("adam_default", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0), CONST_LR(1e-3)),
        ("adam_wd_varying_lr", dict(beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1), VARYING_LR),
        ("adam_large_lr", dict(beta1=0.5, beta2=0.9, eps=1e-8, weight_decay=0.0), CONST_LR(0.5)),
    ],
    "adamw": [
        ("adamw_default", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01), CONST_LR(1e-3)),
        ("adamw_wd_varying_lr", dict(beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1), VARYING_LR),
        ("adamw_no_wd", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0), CONST_LR(0.01)),
    ],
}

SLOTS = {"sgd": ["momentum_buffer"], "adam": ["exp_avg", "exp_avg_sq"], "adamw": ["exp_avg", "exp_avg_sq"]}


def make(name, s, lr0):
    p = torch.nn.Parameter(torch.tensor(PARAMS0, dtype=torch.float32))
    if name == "sgd":
        opt = torch.optim.SGD([p], lr=lr0, momentum=s["momentum"], nesterov=s["nesterov"],
                              weight_decay=s["weight_decay"], dampening=0.0)
    else:
        cls = torch.optim.Adam if name == "adam" else torch.optim.AdamW
        opt = cls([p], lr=lr0, betas=(s["beta1"], s["beta2"]), eps=s["eps"],
                  weight_decay=s["weight_decay"], amsgrad=False)
    return p, opt


def run_case(opt_name, case, settings, lrs):
    p, opt = make(opt_name, settings, lrs[0])
    steps = []
    for lr, grad in zip(lrs, GRADS):
        for group in opt.param_groups:
            group["lr"] = lr
        p.grad = torch.tensor(grad, dtype=torch.float32)
        opt.step()
        steps.append({"lr": lr, "grad": grad, "params": f32(p.detach())})
    state = opt.state[p]
    # null: torch keeps no buffer (SGD without momentum); dptrain keeps one, all zero.
    final_state = {slot: None if state.get(slot) is None else f32(state[slot]) for slot in SLOTS[opt_name]}
    return {"case": case, "settings": dict(name=opt_name, **settings), "params0": PARAMS0,
            "steps": steps, "final_state": final_state, "final_step_count": len(steps)}


def compact_json(doc):
    """Indented JSON with every list of numbers on one line: small files, reviewable diffs."""
    text = json.dumps(doc, indent=1)
    return re.sub(r"\[[-+0-9.eE,\s]*\]", lambda m: re.sub(r"\s+", " ", m.group(0)).replace("[ ", "[").replace(" ]", "]"),
                  text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for opt_name, cases in CASES.items():
        doc = {"generator": "tests/tools/make_optim_golden.py", "torch": torch.__version__,
               "cases": [run_case(opt_name, *c) for c in cases]}
        path = os.path.join(out, f"optim_{opt_name}.json")
        with open(path, "w") as f:
            f.write(compact_json(doc) + "\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(cases)} cases)")


if __name__ == "__main__":
    main()
