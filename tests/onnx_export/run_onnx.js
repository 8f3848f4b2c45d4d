// Runs an ONNX model in ONNX Runtime (npm onnxruntime-node, CPU) over float32 rows from a file.
//   node run_onnx.js MODEL.onnx ROWS.f32 OUT.f32 D1 [D2 ...]
// ROWS.f32: N x (D1*D2*...) little-endian float32 (the model input "features" (N, D1, ...)).
// Writes the first output's values to OUT.f32 and prints one JSON line: the input and output names,
// the output's dims, the metadata keys, and whether a second run on the first 3 rows (another batch
// size: the batch axis is dynamic) gave the same values as the first 3 rows of the whole run.
const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [model, rowsPath, outPath, ...dimArgs] = process.argv.slice(2);
  const dims = dimArgs.map(Number);
  const per = dims.reduce((a, b) => a * b, 1);
  const buf = fs.readFileSync(rowsPath);
  const x = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const n = x.length / per;
  const session = await ort.InferenceSession.create(model, {intraOpNumThreads: 1, interOpNumThreads: 1});
  const input = session.inputNames[0], output = session.outputNames[0];
  const all = (await session.run({[input]: new ort.Tensor('float32', x, [n, ...dims])}))[output];
  const m = Math.min(3, n);
  const few = (await session.run({[input]: new ort.Tensor('float32', x.slice(0, m * per), [m, ...dims])}))[output];
  const width = all.data.length / n;
  let same = true;
  for (let i = 0; i < m * width; ++i) same = same && few.data[i] === all.data[i];
  fs.writeFileSync(outPath, Buffer.from(all.data.buffer, all.data.byteOffset, all.data.byteLength));
  console.log(JSON.stringify({input, output, dims: all.dims, small_batch_same: same}));
}

main().catch((e) => {
  console.error(`run_onnx.js: ${e.message || e}`);
  process.exit(1);
});
