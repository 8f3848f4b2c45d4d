#!/usr/bin/python3
"""The PyTorch DDP peer (../shared/bench/pytorch/ddp_train.py) running launch/configs/fashion_resnet.yaml's
network: a ResNet-20-style model for (1, 28, 28) inputs, same layers, shapes and parameter count
(272,186). Everything else (data loading, gloo DDP, threads, OpenBLAS environment, the timed
--bench-steps loop and its JSON) is the peer's own code, imported; this file only adds the model.

    /usr/bin/python3 bench/pytorch_resnet.py --world-size 2 --batch 64 --bench-steps 30 --data data/fashion_mnist.h5
    /usr/bin/python3 bench/pytorch_resnet.py --world-size 2 --batch 64 --epochs 30 ...   # a training run

bench/compare_resnet.sh runs it beside `dptrain bench` in one sitting.
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

import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


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
        return self.fc(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1).flatten(1))


# In every process (spawned ranks import this file as __mp_main__): the peer's "cnn" slot runs it.
ddp_train.MODELS["cnn"] = ResNet20
ddp_train.TARGETS["cnn"] = 0.94

if __name__ == "__main__":
    sys.argv = [sys.argv[0]] + argv
    ddp_train.main()
