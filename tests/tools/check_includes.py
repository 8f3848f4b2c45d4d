#!/usr/bin/env python3
"""The module graph of src/, enforced (ARCHITECTURE.md): every #include "module/file.hpp" of a file
in src/MODULE/ must name MODULE itself or a module MODULE may depend on, and the system headers of
MPI, HDF5, BLAS and TBB appear only in the modules that own them. Prints each violation as
FILE:LINE: ... and exits 1 if there is any.  usage: check_includes.py SRC_DIR [--self-test]"""
import pathlib
import re
import sys

# What each module may include besides itself (direct dependencies and theirs, spelled out).
BASE = {"core"}
ALLOWED = {
    "core": set(),
    "tensor": {"core"},
    "kernels": {"core", "tensor"},
    "layers": {"core", "tensor", "kernels"},
    "model": {"core", "tensor", "kernels", "layers"},
    "optim": {"core", "tensor", "kernels", "layers", "model"},
    "comm": {"core"},
    "h5": {"core", "tensor"},
    "input": {"core", "tensor", "h5", "comm"},
    "prepare": {"core", "tensor", "h5"},
    "onnx_export": {"core", "tensor", "kernels", "layers", "model"},
    "eval": {"core", "tensor", "kernels", "layers", "model", "comm", "h5", "input"},
    "checkpoint": {"core", "tensor", "kernels", "layers", "model", "optim", "comm", "h5"},
    "train": {"core", "tensor", "kernels", "layers", "model", "optim", "comm", "h5", "input", "eval", "checkpoint"},
    "cli": {"core", "tensor", "kernels", "layers", "model", "optim", "comm", "h5", "input", "eval", "prepare",
            "checkpoint", "train", "onnx_export"},
}
# System headers and the only modules that may include them.
OWNED = {
    r"mpi\.h": {"comm"},
    r"hdf5(_hl)?\.h|H5[A-Za-z]*\.h": {"h5"},
    r"cblas\.h|openblas.*\.h": {"kernels"},
    r"tbb/.*|oneapi/tbb.*": {"kernels"},
    r"onnx/.*|google/protobuf/.*": {"onnx_export"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')


def check(src: pathlib.Path) -> list:
    errors = []
    modules = sorted(p.name for p in src.iterdir() if p.is_dir())
    for m in modules:
        if m not in ALLOWED:
            errors.append(f"{src / m}: module '{m}' is not in the module table of {__file__} (nor ARCHITECTURE.md)")
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".cpp", ".hpp") or path.parent == src:
            continue
        mod = path.relative_to(src).parts[0]
        allowed = ALLOWED.get(mod, set()) | {mod}
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            kind, name = m.groups()
            if kind == '"':
                target = name.split("/")[0] if "/" in name else mod
                if target not in allowed:
                    errors.append(f"{path}:{n}: {mod}/ may not include \"{name}\" ({mod} may use: "
                                  f"{', '.join(sorted(allowed - {mod})) or 'nothing else'})")
            for pattern, owners in OWNED.items():
                if re.fullmatch(pattern, name) and mod not in owners:
                    errors.append(f"{path}:{n}: <{name}> belongs to {' / '.join(sorted(owners))}, not {mod}/")
    return errors


def self_test(src: pathlib.Path) -> int:
    """The check must catch a forbidden module include and misplaced system headers."""
    import shutil
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        copy = pathlib.Path(tmp) / "src"
        shutil.copytree(src, copy)
        with open(copy / "kernels" / "gemm.cpp", "a") as f:
            f.write('#include "train/trainer.hpp"\n')
        with open(copy / "h5" / "file.cpp", "a") as f:
            f.write("#include <mpi.h>\n")
        with open(copy / "checkpoint" / "checkpoint_file.cpp", "a") as f:
            f.write("#include <hdf5.h>\n")
        errs = check(copy)
    planted = ("kernels/ may not include \"train/trainer.hpp\"", "<mpi.h> belongs to comm", "<hdf5.h> belongs to h5")
    caught = [e for e in errs if any(p in e for p in planted)]
    print(f"self-test: {len(caught)} of {len(planted)} planted violations caught")
    return 0 if len(caught) == len(planted) and len(errs) == len(planted) else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[2] == "--self-test":
        sys.exit(self_test(pathlib.Path(sys.argv[1])))
    errs = check(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src"))
    for e in errs:
        print(e)
    print(f"check_includes: {len(errs)} violation(s)")
    sys.exit(1 if errs else 0)
