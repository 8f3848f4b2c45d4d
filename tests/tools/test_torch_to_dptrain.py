"""A network trained in PyTorch, continued in dptrain (ctest tools_torch_to_dptrain).

    /usr/bin/python3 test_torch_to_dptrain.py MPIEXEC DPTRAIN

The nets of the PyTorch peer (../shared/bench/pytorch/ddp_train.py: MLP with fc1..fc3, CNN with
conv1, conv2, fc1, fc2; the same classes, copied here so the test needs nothing outside the
repository) are trained in PyTorch on Fashion-MNIST (prepared by `dptrain prepare`) for a few
hundred steps, their state_dict saved with the h5py snippet of docs/interop.md (track_order=True:
the names are not dptrain's, so `train.init_from_match: position` maps them in order). Then:
  1. dptrain starts from the file with every layer frozen (one step that changes nothing) and
     `dptrain evaluate` reports the test accuracy PyTorch reports (and the mean loss to 1e-4);
  2. fine-tuning with every layer but the head frozen keeps the frozen tensors bit for bit, moves
     the head, and does not lose accuracy.
Exits 77 (skipped) without python3-torch / python3-h5py / python3-yaml.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import torch
    import torch.nn.functional as F
    import yaml
    from torch import nn
except ImportError as e:
    print(f"SKIP: {e.name} is not installed (Debian: cluster/install-deps.sh --torch)")
    sys.exit(77)

MPIEXEC, DPTRAIN = sys.argv[1:3]


class MLP(nn.Module):  # = ddp_train.py's
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 512)
        self.fc2 = nn.Linear(512, 256)
        self.fc3 = nn.Linear(256, 10)

    def forward(self, x):
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class CNN(nn.Module):  # = ddp_train.py's
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, kernel_size=5, stride=1, padding=0)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5, stride=1, padding=0)
        self.fc1 = nn.Linear(64 * 4 * 4, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.flatten(1)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


# The same networks as dptrain layer lists (launch/configs/fashion_mlp.yaml, fashion_cnn.yaml).
LAYERS = {
    "mlp": [{"type": "dense", "units": 512}, {"type": "relu"}, {"type": "dense", "units": 256}, {"type": "relu"},
            {"type": "dense", "units": 10}],
    "cnn": [{"type": "conv2d", "out_channels": 32, "kernel_size": 5}, {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 2}, {"type": "conv2d", "out_channels": 64, "kernel_size": 5},
            {"type": "relu"}, {"type": "maxpool2d", "kernel_size": 2}, {"type": "flatten"},
            {"type": "dense", "units": 128}, {"type": "relu"}, {"type": "dense", "units": 10}],
}


def run(*args):
    p = subprocess.run([MPIEXEC, "-n", "2", DPTRAIN, *args], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"FAIL: dptrain {' '.join(args)}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def torch_train(net, x, y, steps):
    """SGD as the peer runs it (lr 0.05, momentum 0.9, batch 64, inputs / 255)."""
    torch.manual_seed(1234)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    order = torch.randperm(x.shape[0])
    for s in range(steps):
        idx = order[s * 64:(s + 1) * 64]
        opt.zero_grad()
        F.cross_entropy(net(x[idx].float() / 255), y[idx]).backward()
        opt.step()
    return net.eval()


def torch_eval(net, x, y):
    with torch.no_grad():
        logits = torch.cat([net(x[i:i + 1000].float() / 255) for i in range(0, x.shape[0], 1000)])
    return (logits.argmax(1) == y).float().mean().item(), F.cross_entropy(logits, y).item()


def save_state_dict(model, path):  # the snippet of docs/interop.md
    with h5py.File(path, "w", track_order=True) as f:
        for name, tensor in model.state_dict().items():
            f[name] = tensor.detach().cpu().float().numpy()


def dptrain_run(work, name, layers, fm, sd, extra):
    cfg = {"seed": 5, "data": {"file": fm, "scale": "1/255"}, "model": {"layers": layers},
           "train": {"epochs": 1, "batch_size": 128, "init_from": sd, "init_from_match": "position"},
           "optimizer": {"lr": 0.05, "momentum": 0.9}}
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    run("train", "-q", "-c", path, "--out", os.path.join(work, name), *extra)
    model = os.path.join(work, name, "model.h5")
    r = json.loads(run("evaluate", "--model", model, "--json").strip().splitlines()[-1])
    return model, r["accuracy"], r["loss"]


def frozen(layers, keep_last):
    """Every layer `trainable: false` but (keep_last) the last one."""
    n = len(layers)
    return [dict(e, trainable=False) if not (keep_last and i == n - 1) else dict(e) for i, e in enumerate(layers)]


def check(work, name, net, steps, fm, data):
    (xtr, ytr), (xte, yte) = data
    torch_train(net, xtr, ytr, steps)
    acc, loss = torch_eval(net, xte, yte)
    sd = os.path.join(work, name + "_sd.h5")
    save_state_dict(net, sd)
    layers = LAYERS[name]
    _, got_acc, got_loss = dptrain_run(work, name + "_in", frozen(layers, False), fm, sd, ["--set", "train.max_steps=1"])
    print(f"{name}: PyTorch after {steps} steps: accuracy {acc:.4f} loss {loss:.5f}; "
          f"dptrain from its state_dict: accuracy {got_acc:.4f} loss {got_loss:.5f}")
    if abs(got_acc - acc) > 1.5e-4 or abs(got_loss - loss) > 1e-4:  # at most 1 of 10000 rows flips
        sys.exit(f"FAIL: {name}: dptrain does not reproduce PyTorch's accuracy/loss")
    tuned, tuned_acc, _ = dptrain_run(work, name + "_tuned", frozen(layers, True), fm, sd,
                                      ["--set", "train.max_steps=150"])
    params = list(net.state_dict().values())
    head = len(layers) - 1
    with h5py.File(tuned, "r") as f:
        names = [k for k in f["params"]]  # layers.K.weight / bias: K in the model's order
        order = sorted(names, key=lambda k: (int(k.split(".")[1]), k.split(".")[2] != "weight"))
        for k, want in zip(order, params):
            same = np.array_equal(f["params"][k][...], want.numpy())
            if (int(k.split(".")[1]) == head) == same:
                sys.exit(f"FAIL: {name}: fine-tuning {'moved a frozen' if not same else 'did not move the'} "
                         f"tensor {k}")
    print(f"{name}: fine-tuned head only ({head}): accuracy {got_acc:.4f} -> {tuned_acc:.4f}")
    if tuned_acc < got_acc - 0.01:
        sys.exit(f"FAIL: {name}: fine-tuning the head lost accuracy")


def main():
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory(prefix="dptrain-torch-in-") as work:
        fm = os.path.join(work, "fm.h5")
        run("prepare", "fashion-mnist", "--out", fm)
        with h5py.File(fm, "r") as f:
            data = [(torch.from_numpy(f[s + "/images"][...]).unsqueeze(1), torch.from_numpy(f[s + "/labels"][...]).long())
                    for s in ("train", "test")]
        torch.manual_seed(1234)
        check(work, "mlp", MLP(), 400, fm, data)
        check(work, "cnn", CNN(), 200, fm, data)
    print("PyTorch -> dptrain ok")


main()
