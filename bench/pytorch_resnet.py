#!/usr/bin/python3
"""The PyTorch DDP peer (../shared/bench/pytorch/ddp_train.py) running launch/configs/fashion_resnet.yaml's
network: a ResNet-20-style model for (1, 28, 28) inputs, same layers, shapes and parameter count
(272,186), trained like the config: SGD with Nesterov momentum and weight decay 0.0005 (ddp_train.py's
SGD is replaced by one with these two set; momentum and lr stay ddp_train's --momentum 0.9 and --lr,
pass --lr 0.1 for the config's peak lr), and the config's augmentation (pad 2 + random 28x28 crop,
horizontal flip with probability 1/2, per sample, in training mode inside forward, so in the timed
step). Everything else (data loading and its x / 255, gloo DDP, threads, OpenBLAS environment, the
timed --bench-steps loop and its JSON) is the peer's own code, imported; this file adds the model.

    /usr/bin/python3 bench/pytorch_resnet.py --world-size 2 --batch 64 --lr 0.1 --bench-steps 30 --data data/fashion_mnist.h5
    /usr/bin/python3 bench/pytorch_resnet.py --world-size 2 --batch 64 --lr 0.1 --epochs 30 ...   # a training run

bench/compare_peers.sh resnet runs it beside `dptrain bench` and the libtorch + MPI peer in one sitting.
"""
import os
import sys

PEER = os.environ.get("PEER", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench",
                                           "pytorch"))
sys.path.insert(0, PEER)
import ddp_train  # noqa: E402  (sets nothing up on import; its re-exec runs only as __main__)

if __name__ == "__main__":
    # The peer's environment (threads, OpenBLAS build and core type), then a re-exec of THIS file.
    argv = sys.argv[1:] + ["--model", "cnn"]  # the peer's "cnn" slot holds the ResNet below
    if os.environ.get("PEER_BASELINE_ENV") != "1":
        sys.argv[0] = os.path.abspath(__file__)
        ddp_train._set_env_and_reexec(argv)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

PAD = 2  # data.augment.crop_padding


def augment(x):
    """data.augment {crop_padding: 2, hflip: true} on a batch (n, C, H, W): sample i becomes its image
    shifted by (dy, dx), each uniform in [-2, 2], zero-filled (= pad 2, crop), mirrored with
    probability 1/2: out[h][w] = in[h + dy][w' + dx], w' = W-1-w when mirrored (dptrain's augment.cpp)."""
    n, _, h, w = x.shape
    dy, dx = torch.randint(-PAD, PAD + 1, (n,)), torch.randint(-PAD, PAD + 1, (n,))
    cols = torch.arange(w).expand(n, w)
    cols = torch.where((torch.rand(n) < 0.5)[:, None], w - 1 - cols, cols) + PAD + dx[:, None]
    rows = torch.arange(h)[None, :] + PAD + dy[:, None]
    xp = F.pad(x, (PAD, PAD, PAD, PAD)).permute(0, 2, 3, 1)  # (n, H+4, W+4, C)
    return xp[torch.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2).contiguous()


class ConfigSGD(torch.optim.SGD):
    """The config's SGD: ddp_train.py's call (lr, momentum) plus nesterov: true, weight_decay: 0.0005."""

    def __init__(self, params, lr, momentum=0.9):
        super().__init__(params, lr=lr, momentum=momentum, nesterov=True, weight_decay=5e-4)


class Block(nn.Module):
    """BasicBlock: conv3x3-bn-relu-conv3x3-bn + shortcut (identity, or conv1x1 stride 2 + bn), relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        return F.relu(y + (self.short(x) if self.short is not None else x))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        blocks, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(3):
                blocks.append(Block(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        if self.training:
            x = augment(x)
        return self.fc(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1))


# In every process (spawned ranks import this file as __mp_main__): the peer's "cnn" slot runs it.
ddp_train.MODELS["cnn"] = ResNet20
ddp_train.TARGETS["cnn"] = 0.94
torch.optim.SGD = ConfigSGD  # the name ddp_train.py's worker calls (only the ResNet runs in this process)

if __name__ == "__main__":
    sys.argv = [sys.argv[0]] + argv
    ddp_train.main()
