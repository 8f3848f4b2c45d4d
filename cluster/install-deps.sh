#!/usr/bin/env bash
# Installs every Debian 12 package dptrain needs to build, test and run its quickstart
# (gnuplot-nox draws `dptrain plot`).
# Idempotent: packages already present are skipped. Safe while another apt holds the lock briefly.
#   cluster/install-deps.sh            # build + test + quickstart dependencies
#   cluster/install-deps.sh --slurm    # also the local Slurm test cluster (slurmctld slurmd munge)
#   cluster/install-deps.sh --torch    # also python3-torch, h5py, yaml: tools/dptrain_torch.py, its test
#                                      # (tools_dptrain_torch) and the golden test values' generators
#   cluster/install-deps.sh --libtorch # also libtorch-dev: the libtorch + MPI peer of bench/compare_peers.sh
#   cluster/install-deps.sh --onnx     # also python3-onnx (and npm if missing): the ONNX export test
#   cluster/install-deps.sh --sklearn-data  # also python3-sklearn (its diabetes data: datasets/diabetes.sh)
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools zlib1g-dev
  libtbb-dev libopenblas-dev
  libgtest-dev googletest
  libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libonnx-dev libprotobuf-dev
  dataset-fashion-mnist
  gnuplot-nox
)
for arg in "$@"; do
  case "$arg" in
    --slurm) PKGS+=(slurmctld slurmd slurm-client munge iproute2) ;;
    --torch) PKGS+=(python3-torch python3-numpy python3-h5py python3-yaml libopenblas0-openmp) ;;
    --libtorch) PKGS+=(libtorch-dev) ;;
    --sklearn-data) PKGS+=(python3-sklearn) ;;
    --onnx) PKGS+=(python3-onnx python3-numpy python3-h5py python3-yaml)
            command -v npm >/dev/null || PKGS+=(nodejs npm) ;;  # ONNX Runtime's npm package (tests/onnx_export)
    *) echo "install-deps.sh: unknown option '$arg' (use --slurm, --torch, --libtorch, --onnx, --sklearn-data)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
APT=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3)
echo "install-deps: installing ${missing[*]}"
"${APT[@]}" update -qq
"${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
