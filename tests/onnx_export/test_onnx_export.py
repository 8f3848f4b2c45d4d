"""`dptrain export` checked in a real runtime (ctest onnx_export_runtime).

    /usr/bin/python3 test_onnx_export.py MPIEXEC DPTRAIN ORT_DIR EXAMPLES_DIR

ORT_DIR holds node_modules/onnxruntime-node (tests/onnx_export/install_onnxruntime.sh; tests/run.sh
runs it). For every model: `dptrain export`, python3-onnx's checker (full_check: types and shapes
inferred through the graph), ONNX Runtime (run_onnx.js) on the test rows as stored, and `dptrain
predict` on the same rows: the probabilities (regression: the outputs) must agree to a max abs
diff < 1e-5, the dynamic batch axis must give the same values for a batch of 3.
Models: synthetic ones using every layer type (tests/support/dptrain_testkit.py: an MLP on features
with stored zscore normalization (times data.scale 0.5) and every activation, a CNN with batchnorm, dropout, padded
pooling, strided/dilated/grouped/depthwise convolutions, a residual graph with add and concat, an
encoder-decoder with upsample (Resize), pad (Pad), crop (Slice), layernorm (LayerNormalization) and
global_avgpool, transposed convolutions (a U-Net's upsampling, per-axis sizes, output_padding), a
regression MLP), and the example configs on the real Fashion-MNIST (fashion_mlp, fashion_cnn,
fashion_cnn_bn with batchnorm and dropout, fashion_resnet), trained a few steps.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
    import onnx
except ImportError as e:
    sys.exit(f"FAIL: {e.name} is not installed (Debian: cluster/install-deps.sh --onnx)")

MPIEXEC, DPTRAIN, ORT_DIR, EXAMPLES = sys.argv[1:5]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from dptrain_testkit import CLASSES, CNN, GRAPH, MLP, REGRESSION, UNET, UPSAMPLE, Kit  # noqa: E402

if not os.path.isfile(os.path.join(ORT_DIR, "node_modules", "onnxruntime-node", "package.json")):
    sys.exit(f"FAIL: ONNX Runtime is not in {ORT_DIR}: run tests/onnx_export/install_onnxruntime.sh {ORT_DIR} "
             "(tests/run.sh does)")


def onnx_runtime(kit, name, path, rows):
    """Runs the model in ONNX Runtime over rows (N, input...) float32; returns (outputs, run_onnx.js report)."""
    rows_path, out_path = kit.path(name + "_rows.f32"), kit.path(name + "_ort.f32")
    np.ascontiguousarray(rows, dtype="<f4").tofile(rows_path)
    env = dict(os.environ, NODE_PATH=os.path.join(ORT_DIR, "node_modules"))
    p = subprocess.run(["node", os.path.join(HERE, "run_onnx.js"), path, rows_path, out_path,
                        *[str(d) for d in rows.shape[1:]]], capture_output=True, text=True, env=env, timeout=300)
    if p.returncode != 0:
        sys.exit(f"FAIL: {name}: ONNX Runtime refused {path}:\n{p.stdout}\n{p.stderr}")
    report = json.loads(p.stdout.strip().splitlines()[-1])
    return np.fromfile(out_path, dtype="<f4").reshape(report["dims"]), report


def check(kit, name, model, data, features, labels, input_shape, extra=()):
    """Exports `model`, checks the file and compares ONNX Runtime with dptrain predict."""
    path = kit.path(name + ".onnx")
    kit.run("export", "--model", model, "--out", path, "--data", data, "--features", features, *extra, ranks=1)
    onnx.checker.check_model(path, full_check=True)
    m = onnx.load(path)
    want = kit.predict(name, model, data, features, labels)
    with h5py.File(data, "r") as f:
        rows = f[features][...].astype(np.float32).reshape((-1,) + tuple(input_shape))
    got, report = onnx_runtime(kit, name, path, rows)
    diff = float(np.abs(got - want.reshape(got.shape)).max())
    print(f"{name}: {len(m.graph.node)} ONNX nodes, {rows.shape[0]} rows, output '{report['output']}' "
          f"{report['dims']}: max abs diff to dptrain predict {diff:.2e}")
    if not diff < 1e-5:
        sys.exit(f"FAIL: {name}: ONNX Runtime and dptrain predict differ by {diff}")
    if not report["small_batch_same"]:
        sys.exit(f"FAIL: {name}: a batch of 3 rows gave other values than the same rows in the whole batch")
    if any(n.op_type == "Dropout" for n in m.graph.node):
        sys.exit(f"FAIL: {name}: the exported graph still has a Dropout node")
    return m, got


def metadata(m):
    return {p.key: p.value for p in m.metadata_props}


def synthetic(kit):
    kit.make_data()
    images, table, reg = kit.path("images.h5"), kit.path("table.h5"), kit.path("reg.h5")
    for name, data, layers, scale, shape in (("mlp", table, MLP, 0.5, (12,)), ("cnn", images, CNN, "1/255", (1, 8, 8)),
                                             ("graph", images, GRAPH, "1/255", (1, 8, 8)),
                                             ("unet", images, UNET, "1/255", (1, 8, 8)),
                                             ("upsample", images, UPSAMPLE, "1/255", (1, 8, 8))):
        model = kit.train(name, data, layers, scale)
        m, probs = check(kit, name, model, data, "/test/x", "/test/y", shape)
        if data == images:  # class names with a quote and a backslash survive as JSON
            assert json.loads(metadata(m)["class_names"]) == CLASSES, metadata(m)["class_names"]
        if name == "mlp":  # the stored normalization folded in as the first nodes
            first = [n.op_type for n in m.graph.node[:2]]
            assert first == ["Sub", "Mul"], first
            assert "zscore" in metadata(m)["input_transform"], metadata(m)
            logits_path = kit.path("mlp_logits.onnx")
            kit.run("export", "--model", model, "--out", logits_path, "--logits", ranks=1)
            with h5py.File(table, "r") as f:
                rows = f["/test/x"][...].astype(np.float32)
            logits, report = onnx_runtime(kit, "mlp_logits", logits_path, rows)
            e = np.exp(logits.astype(np.float64) - logits.max(1, keepdims=True))
            diff = float(np.abs(e / e.sum(1, keepdims=True) - probs).max())
            assert report["output"] == "logits" and diff < 1e-5, (report, diff)
    model = kit.train("reg", reg, REGRESSION, 1 / 16, loss="mse")
    m, _ = check(kit, "reg", model, reg, "/test/x", "/test/y", (12,))
    assert m.graph.output[0].name == "predictions", m.graph.output


def examples(kit):
    fm = kit.path("fm.h5")
    kit.run("prepare", "fashion-mnist", "--out", fm, ranks=1)
    for cfg in ("fashion_mlp", "fashion_cnn", "fashion_cnn_bn", "fashion_resnet"):
        run = kit.path(cfg)
        kit.run("train", "-q", "-c", os.path.join(EXAMPLES, cfg + ".yaml"), "--set", f"data.file={fm}",
                "--set", "train.max_steps=8", "--out", run, timeout=600)
        m, _ = check(kit, cfg, os.path.join(run, "model.h5"), fm, "/test/images", "/test/labels", (1, 28, 28))
        names = json.loads(metadata(m)["class_names"])
        assert len(names) == 10 and names[0].startswith("T-shirt"), names


def main():
    with tempfile.TemporaryDirectory(prefix="dptrain-onnx-") as work:
        kit = Kit(MPIEXEC, DPTRAIN, work)
        synthetic(kit)
        examples(kit)
    print("onnx export ok")


main()
