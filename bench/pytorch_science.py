#!/usr/bin/python3
"""The PyTorch DDP peer for the scientific example configs: launch/configs/cosmo3d.yaml (a 3-D CNN
regressing two parameters of (1, 32, 32, 32) volumes) and launch/configs/unet_shapes.yaml (a U-Net
segmenting (1, 64, 64) images into 4 classes), the same layers, shapes and parameter counts, in the
step-time microbenchmark of ../shared/bench/pytorch/ddp_train.py: its thread / OpenBLAS environment,
gloo DDP, its timed `bench()` loop and JSON. Only the model, the data (one fixed batch of the
generated HDF5 file, float32 as stored) and the loss (MSE; per-pixel cross-entropy) are this file's.

    /usr/bin/python3 bench/pytorch_science.py --net cosmo3d --world-size 2 --batch 16 --bench-steps 20 \
        --data data/cosmo3d.h5 --out /tmp/peer.json

bench/compare_peers.sh cosmo3d | unet runs it beside `dptrain bench` in one sitting. Optimizer: Adam
(lr 0.001), as both configs.
"""
import os
import sys

PEER = os.environ.get("PEER", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench",
                                           "pytorch"))
sys.path.insert(0, PEER)
import ddp_train  # noqa: E402  (sets nothing up on import; its re-exec runs only as __main__)

MODELS = ("cosmo3d", "unet")


def _net_arg(argv):
    """--net NAME, removed from argv (ddp_train's parser reads the rest)."""
    for i, a in enumerate(argv):
        if a == "--net" and i + 1 < len(argv) and argv[i + 1] in MODELS:
            return argv[i + 1], argv[:i] + argv[i + 2:]
    sys.exit(f"pytorch_science.py: --net must be one of {', '.join(MODELS)}")


if __name__ == "__main__":
    MODEL, ARGV = _net_arg(sys.argv[1:])
    if os.environ.get("PEER_BASELINE_ENV") != "1":
        sys.argv[0] = os.path.abspath(__file__)
        ddp_train._set_env_and_reexec(sys.argv[1:])

import h5py  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def conv_relu(cin, cout, d):
    conv = nn.Conv3d if d == 3 else nn.Conv2d
    return [conv(cin, cout, 3, padding=1), nn.ReLU()]


class Cosmo3d(nn.Module):
    """cosmo3d.yaml: 3 x (conv3d 3^3 pad 1, relu, maxpool3d 2), conv3d 64->64, relu, global average
    pooling, dense 64, relu, dense 2."""

    def __init__(self):
        super().__init__()
        layers, cin = [], 1
        for cout in (16, 32, 64):
            layers += conv_relu(cin, cout, 3) + [nn.MaxPool3d(2)]
            cin = cout
        layers += conv_relu(64, 64, 3) + [nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(64, 64), nn.ReLU(),
                                           nn.Linear(64, 2)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class UNet(nn.Module):
    """unet_shapes.yaml: two encoder stages (2 x conv 3x3 + relu, then maxpool 2), a bottleneck, two
    decoder stages (conv_transpose 2x2 stride 2, concat with the encoder's output, 2 x conv + relu),
    a 1x1 conv to 4 class scores per pixel."""

    def __init__(self, c=16, classes=4):
        super().__init__()
        self.e1 = nn.Sequential(*conv_relu(1, c, 2), *conv_relu(c, c, 2))
        self.e2 = nn.Sequential(*conv_relu(c, 2 * c, 2), *conv_relu(2 * c, 2 * c, 2))
        self.mid = nn.Sequential(*conv_relu(2 * c, 4 * c, 2), *conv_relu(4 * c, 4 * c, 2))
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.d2 = nn.Sequential(*conv_relu(4 * c, 2 * c, 2), *conv_relu(2 * c, 2 * c, 2))
        self.up1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.d1 = nn.Sequential(*conv_relu(2 * c, c, 2), *conv_relu(c, c, 2))
        self.head = nn.Conv2d(c, classes, 1)

    def forward(self, x):
        s1 = self.e1(x)
        s2 = self.e2(self.pool(s1))
        m = self.mid(self.pool(s2))
        y = self.d2(torch.cat([self.up2(m), s2], 1))
        y = self.d1(torch.cat([self.up1(y), s1], 1))
        return self.head(y)


def worker(rank, args, init_method, model_name):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel as DDP
    world = args.world_size
    threads = args.threads or max(1, ddp_train._cores() // world)
    torch.set_num_threads(threads)
    blas, blas_cfg, blas_core = ddp_train.openblas_info()
    if blas is not None:
        blas.openblas_set_num_threads(threads)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world)
    b = args.batch
    with h5py.File(args.data, "r") as f:  # the first world x batch rows, as stored; bench() takes its slice
        x = torch.from_numpy(f["train/x"][:world * b].astype("float32"))
        y = f["train/y"][:world * b]
    cosmo = model_name == "cosmo3d"
    y = torch.from_numpy(y.astype("float32") if cosmo else y.astype("int64"))
    torch.manual_seed(args.seed)
    net = Cosmo3d() if cosmo else UNet()
    n_params = sum(p.numel() for p in net.parameters())
    model = DDP(net)
    opt = torch.optim.Adam(model.parameters(), lr=0.001)
    crit = nn.MSELoss() if cosmo else nn.CrossEntropyLoss()
    config = dict(model=model_name, world_size=world, per_rank_batch=b, global_batch=b * world, n_params=n_params,
                  threads_per_rank=threads, torch=torch.__version__, openblas=blas_cfg, openblas_core=blas_core)
    # ddp_train.bench's x / 255 would rescale the fields: hand it x * 255 so that its batch is x.
    res = ddp_train.bench(rank, world, True, model, opt, crit, x * 255.0, y, args, n_params)
    if rank == 0:
        print("bench " + ddp_train.json.dumps(res), flush=True)
        if args.out:
            with open(args.out, "w") as f:
                ddp_train.json.dump(dict(config=config, bench=res), f, indent=1)
    ddp_train._finish(True)


if __name__ == "__main__":
    import torch.multiprocessing as mp
    a = ddp_train.build_parser().parse_args(ARGV)
    mp.spawn(worker, args=(a, f"tcp://127.0.0.1:{ddp_train._free_port()}", MODEL), nprocs=a.world_size,
             join=True)
