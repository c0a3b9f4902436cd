#!/usr/bin/env bash
# The GPU check of the cuda backend (issue 10), for a Linux machine with an NVIDIA H100/H200,
# the CUDA toolkit (nvcc), Node 20+ with this repository's node_modules, and PyTorch with CUDA.
# In about 3-5 minutes it:
#   1. builds the addon (if missing), the TypeScript (if missing) and the CUDA plugin (sm_90);
#   2. runs the cross-backend op suite with cuda against reference (float32 within 1e-4) and
#      whole trainings on cuda against reference, bf16/f16 products and loss scaling too;
#   3. trains W1 (MLP 784-256-128-10, batch 1024) and W2 (the CNN, batch 256) with Adam on cuda
#      and in PyTorch eager on the same GPU, in the same run: samples/s and the ratios, PyTorch
#      both with its batches already on the GPU and with them copied up each step from pinned
#      host memory (as a DataLoader with pin_memory feeds it; Kiln's batches come from host memory);
#   4. times a bf16 GEMM 8192^3 through Kiln's cuBLAS path against torch.matmul;
# and prints a summary with the issue's targets. Exit status 0 only when every check passes.
#
#   bench/gpu-check.sh [--python PY] [--skip-build] [--torch-only] [--device cuda|cpu] [--tiny] [--out DIR]
#
# --out DIR keeps the logs and the figures (JSON) there. cuBLAS is found beside the plugin, on
# the loader's path, or else in PyTorch's own wheel (nvidia-cublas).
#
# --torch-only --device cpu --tiny runs only the PyTorch side, small, on the CPU: the part of this
# script that can be tried on a machine without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

PY=python3
SKIP_BUILD=0
TORCH_ONLY=0
DEVICE=cuda
TINY=0
KEEP=""
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --python) [ $# -ge 2 ] || { echo "gpu-check: --python needs a path" >&2; exit 2; }; PY="$2"; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --torch-only) TORCH_ONLY=1; shift ;;
    --device) [ $# -ge 2 ] && { [ "$2" = cuda ] || [ "$2" = cpu ]; } || { echo "gpu-check: --device must be cuda or cpu" >&2; exit 2; }; DEVICE="$2"; shift 2 ;;
    --tiny) TINY=1; shift ;;
    --out) [ $# -ge 2 ] || { echo "gpu-check: --out needs a folder" >&2; exit 2; }; KEEP="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$TORCH_ONLY" = 0 ] && [ "$DEVICE" != cuda ]; then
  echo "gpu-check: --device cpu is only for --torch-only (Kiln's side needs the GPU)" >&2
  exit 2
fi

WORK="$(mktemp -d)"
trap 'if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$WORK"/*.log "$WORK"/*.json "$KEEP"/ 2>/dev/null; fi; rm -rf "$WORK"' EXIT
# Sizes: the issue's, or tiny ones for trying the script's PyTorch side on a CPU.
if [ "$TINY" = 1 ]; then SIZES='{"w1_batch": 8, "w2_batch": 4, "batches": 2, "repeats": 1, "gemm": 64}'
else SIZES='{"w1_batch": 1024, "w2_batch": 256, "batches": 50, "repeats": 3, "gemm": 8192}'; fi
echo "$SIZES" > "$WORK/sizes.json"

step() { printf '\n== %s\n' "$*"; }

# ---- the PyTorch side: eager training steps and torch.matmul, on $DEVICE ----
cat > "$WORK/torch_side.py" <<'PYEOF'
import json, sys, time
import torch
from torch import nn

sizes = json.load(open(sys.argv[1]))
device = torch.device(sys.argv[2])
torch.manual_seed(1)

def sync():
    if device.type == "cuda":
        torch.cuda.synchronize()

def mlp():
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

def cnn():  # W2, as Kiln's: valid 3x3 convolutions, 2x2 max pooling, NCHW here
    return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))

def train(make, shape, batch, from_host):
    """Samples/s of plain eager steps (zero_grad, forward, backward, Adam): batches made on the
    device beforehand, or (from_host) kept in pinned host memory and copied up each step."""
    torch.manual_seed(1)
    model = make().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)  # Keras's epsilon, as Kiln's Adam
    loss_fn = nn.CrossEntropyLoss()
    where = "cpu" if from_host else device
    xs = [torch.rand((batch, *shape), device=where) * 2 - 1 for _ in range(sizes["batches"])]
    ys = [torch.randint(0, 3, (batch,), device=where) for _ in range(sizes["batches"])]
    if from_host and device.type == "cuda":
        xs, ys = [x.pin_memory() for x in xs], [y.pin_memory() for y in ys]
    def epoch():
        for x, y in zip(xs, ys):
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        sync()
    epoch()  # warm-up: kernels chosen, memory pooled
    best = float("inf")
    for _ in range(sizes["repeats"]):
        start = time.perf_counter()
        epoch()
        best = min(best, (time.perf_counter() - start) / len(xs))
    return batch / best

def matmul_tflops(n):
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    a = torch.rand((n, n), device=device, dtype=dtype)
    b = torch.rand((n, n), device=device, dtype=dtype)
    for _ in range(3):
        torch.matmul(a, b)
    sync()
    reps = 20 if device.type == "cuda" else 2
    best = float("inf")
    for _ in range(sizes["repeats"]):
        start = time.perf_counter()
        for _ in range(reps):
            torch.matmul(a, b)
        sync()
        best = min(best, (time.perf_counter() - start) / reps)
    return 2 * n ** 3 / best / 1e12

out = {
    "torch": torch.__version__,
    "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu",
    "w1": train(mlp, (784,), sizes["w1_batch"], False),
    "w2": train(cnn, (1, 28, 28), sizes["w2_batch"], False),
    "w1_from_host": train(mlp, (784,), sizes["w1_batch"], True),
    "w2_from_host": train(cnn, (1, 28, 28), sizes["w2_batch"], True),
    "gemm_tflops": matmul_tflops(sizes["gemm"]),
}
print(json.dumps(out))
PYEOF

# ---- Kiln's side: the same workloads on the cuda backend ----
cat > "$WORK/kiln_side.mjs" <<'JSEOF'
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [root, sizesFile] = process.argv.slice(2);
const sizes = JSON.parse(readFileSync(sizesFile, 'utf8'));
const addon = createRequire(import.meta.url)(`${root}/native/build/Release/kiln_native.node`);
const { defaultTrainingConfig, lowerModel } = await import(`${root}/out/common/model/index.js`);

function chain(inputShape, layers, precision = 'float32') {
  const doc = { layers: [{ id: 'x', name: 'x', type: 'Input', params: { shape: inputShape } }], edges: [] };
  layers.forEach(([type, params], i) => {
    const id = `${type.toLowerCase()}_${i + 1}`;
    doc.edges.push({ from: doc.layers.at(-1).id, to: id });
    doc.layers.push({ id, name: id, type, params });
  });
  const config = { ...defaultTrainingConfig(), loss: { type: 'sparse_categorical_crossentropy', fromLogits: true }, metrics: [], optimizer: { type: 'adam' }, seed: 1 };
  const lowered = lowerModel(doc, { ...config, precision });
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  return lowered.spec;
}
const W1 = [['Dense', { units: 256, activation: 'relu' }], ['Dense', { units: 128, activation: 'relu' }], ['Dense', { units: 10, activation: null }]];
const W2 = [
  ['Conv2D', { filters: 32, kernel_size: 3, activation: 'relu' }], ['MaxPooling2D', {}],
  ['Conv2D', { filters: 64, kernel_size: 3, activation: 'relu' }], ['MaxPooling2D', {}],
  ['Flatten', {}], ['Dense', { units: 128, activation: 'relu' }], ['Dense', { units: 10 }],
];
const w1 = chain([784], W1), w2 = chain([28, 28, 1], W2);
const w1bf16 = chain([784], W1, 'mixed_bfloat16'), w2bf16 = chain([28, 28, 1], W2, 'mixed_bfloat16');
const w1f16 = chain([784], W1, 'mixed_float16'), w2f16 = chain([28, 28, 1], W2, 'mixed_float16');

function randomData(count, seed) {
  let s = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

// Samples/s over epochs of `batches` steps (no shuffle), best of the repeats after a warm-up epoch;
// also the first and last loss, so a diverging or frozen GPU step shows, and (mixed_float16) the
// steps the loss scaling skipped and the scale at the end.
async function train(spec, batch) {
  const model = new addon.Model(spec, { backend: 'cuda' });
  const n = batch * sizes.batches;
  const data = { x: randomData(n * 784, 7), y: Int32Array.from({ length: n }, (_, i) => i % 10 % 3) };
  const losses = [];
  let skipped = 0, lossScale = null;
  const step = (e) => {
    losses.push(e.loss);
    skipped += e.skipped ?? 0;
    lossScale = e.lossScale ?? null;
  };
  await model.fit(data, { epochs: 1, batchSize: batch, shuffle: false }, (events) => events.forEach((e) => e.type === 'step' && step(e)));
  let best = Infinity, waitMs = 0;
  for (let r = 0; r < sizes.repeats; r++) {
    let wait = 0;
    const start = performance.now();
    const result = await model.fit(data, { epochs: 1, batchSize: batch, shuffle: false }, (events) => events.forEach((e) => {
      if (e.type === 'step') step(e);
      else wait = e.dataWait;
    }));
    const seconds = (performance.now() - start) / 1000 / result.steps;
    if (seconds < best) [best, waitMs] = [seconds, (wait * 1000) / result.steps];
  }
  return { samplesPerSecond: batch / best, stepMs: best * 1000, dataWaitMs: waitMs, firstLoss: losses[0], lastLoss: losses.at(-1), steps: losses.length, skipped, lossScale };
}

// Where a profiled step's time goes on the GPU (CUDA events between ops): the step's wall time,
// the ops' sum, and the heaviest ops.
async function gpuProfile(spec, batch) {
  const model = new addon.Model(spec, { backend: 'cuda' });
  const n = batch * sizes.batches;
  const data = { x: randomData(n * 784, 9), y: Int32Array.from({ length: n }, (_, i) => i % 3) };
  await model.fit(data, { epochs: 1, batchSize: batch, shuffle: false });
  model.setProfiling(true);
  const start = performance.now();
  const result = await model.fit(data, { epochs: 1, batchSize: batch, shuffle: false });
  const stepMs = (performance.now() - start) / result.steps;
  const rows = model.profile();
  const opsMs = rows.reduce((a, r) => a + r.ns, 0) / 1e6 / result.steps;
  const top = [...rows].sort((a, b) => b.ns - a.ns).slice(0, 5).map((r) => `${r.node} ${(r.ns / 1e6 / result.steps).toFixed(3)} ms`);
  return { stepMs, opsMs, ops: rows.length, top };
}

// A memory limit below what the model needs fails with the limit in the message; lifted, it trains.
async function memoryLimit() {
  addon.setGpuMemoryLimit(8);
  let error = null;
  try {
    await train(w1, sizes.w1_batch);
  } catch (e) {
    error = e.message;
  }
  addon.setGpuMemoryLimit(0);
  return { error, ok: /GPU memory limit of 8 MiB/.test(error ?? '') };
}

const cuda = addon.devices().find((d) => d.backend === 'cuda');
const out = { device: cuda.name, w1: await train(w1, sizes.w1_batch), w2: await train(w2, sizes.w2_batch) };
out.w1bf16 = await train(w1bf16, sizes.w1_batch);
out.w2bf16 = await train(w2bf16, sizes.w2_batch);
out.w1f16 = await train(w1f16, sizes.w1_batch);
out.w2f16 = await train(w2f16, sizes.w2_batch);
out.w1.profile = await gpuProfile(w1, sizes.w1_batch);
out.w2.profile = await gpuProfile(w2, sizes.w2_batch);
out.usage = addon.gpuUsage();
out.memoryLimit = await memoryLimit();
const seconds = await addon.cudaTimeGemm({ dtype: 'bfloat16', m: sizes.gemm, n: sizes.gemm, k: sizes.gemm, repeats: 20 });
out.gemm_tflops = (2 * sizes.gemm ** 3) / seconds / 1e12;
console.log(JSON.stringify(out));
JSEOF

if [ "$TORCH_ONLY" = 1 ]; then
  step "PyTorch side only, on $DEVICE"
  "$PY" "$WORK/torch_side.py" "$WORK/sizes.json" "$DEVICE"
  exit 0
fi

for tool in node nvcc "$PY"; do
  command -v "$tool" >/dev/null || { echo "gpu-check: '$tool' is not on PATH" >&2; exit 1; }
done
[ -f node_modules/vitest/vitest.mjs ] || { echo "gpu-check: node_modules is missing: run 'npm ci' first" >&2; exit 1; }
"$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' ||
  { echo "gpu-check: PyTorch with CUDA is needed ($PY cannot see a GPU through torch)" >&2; exit 1; }

if [ "$SKIP_BUILD" = 0 ]; then
  step "build"
  [ -f native/build/Release/kiln_native.node ] || npx node-gyp rebuild --directory native
  [ -f out/common/model/index.js ] || npx tsc -p tsconfig.build.json
  node scripts/buildCuda.js --archs 90
fi
export KILN_CUDA_PLUGIN="$ROOT/native/build/cuda/libkiln_cuda.so"
# cuBLAS: beside the plugin or on the loader's path; else the one in PyTorch's wheel.
if [ ! -e native/build/cuda/libcublas.so.13 ] && ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so\.1[23] '; then
  cublas_dir=$("$PY" -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null || true)
  [ -n "$cublas_dir" ] && export LD_LIBRARY_PATH="$cublas_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" && echo "cuBLAS from $cublas_dir"
fi

step "devices"
node -e 'const d = require(process.argv[1]).devices(); console.log(JSON.stringify(d.map(({ ops, ...rest }) => ({ ...rest, ops: ops && ops.length })), null, 1)); process.exit(d[1].available ? 0 : 1)' \
  "$ROOT/native/build/Release/kiln_native.node" || { echo "gpu-check: the cuda backend is not available (reason above)" >&2; exit 1; }

status=0
step "op suite and whole trainings: cuda against reference (float32)"
# (cudaPlugin.test.ts's build test is left out: the plugin was built above.)
if node node_modules/vitest/vitest.mjs run --reporter=verbose -t '^(?!.*compiles with nvcc)' test/native/backends.test.ts \
  test/native/modelBackends.test.ts test/native/mixedPrecision.test.ts test/native/modelGradients.test.ts test/native/cudaPlugin.test.ts \
  test/host/trainingDevice.test.ts > "$WORK/ops.log" 2>&1; then ops=PASS; else ops=FAIL; status=1; fi
grep -E '(✓|×|↓).*cuda' "$WORK/ops.log" | tail -n 60 || true
grep -E -A12 '(FAIL|AssertionError|Error:)' "$WORK/ops.log" | head -n 120 || true
tail -n 8 "$WORK/ops.log"
cuda_tests=$(grep -cE '✓.*(cuda|GPU)' "$WORK/ops.log" || true)
bf16_tests=$(grep -cE '✓.*bfloat16' "$WORK/ops.log" || true)
bf16_failed=$(grep -cE '×.*bfloat16' "$WORK/ops.log" || true)
# float16 but not bfloat16: mixed_float16's products, training and loss-scaling ops on cuda.
f16_tests=$(grep -E '✓.*(^|[^b])float16' "$WORK/ops.log" | grep -c cuda || true)
f16_failed=$(grep -cE '×.*(^|[^b])float16' "$WORK/ops.log" || true)

step "the app's own path: kiln train (auto picks the GPU)"
if KILN_LOGDIR="$WORK/runs" node bin/kiln.js train --epochs 3 > "$WORK/train.log" 2>&1 &&
  grep -h 'Training on the GPU' "$WORK"/runs/*/run.json > /dev/null; then app=PASS; else app=FAIL; status=1; fi
tail -n 3 "$WORK/train.log"; grep -ho '"Training on the GPU[^"]*"' "$WORK"/runs/*/run.json || true

step "training and GEMM: Kiln on cuda, then PyTorch eager on the same GPU"
node "$WORK/kiln_side.mjs" "$ROOT" "$WORK/sizes.json" | tee "$WORK/kiln.json"
"$PY" "$WORK/torch_side.py" "$WORK/sizes.json" cuda | tee "$WORK/torch.json"

step "summary"
"$PY" - "$WORK/kiln.json" "$WORK/torch.json" "$ops" "$cuda_tests" "$bf16_tests" "$bf16_failed" "$app" "$f16_tests" "$f16_failed" <<'PYEOF' || status=1
import json, math, sys
kiln = json.load(open(sys.argv[1]))
torch = json.load(open(sys.argv[2]))
ops, cuda_lines, bf16_passed, bf16_failed = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
rows, ok = [], ops == "PASS"
rows.append(("ops and trainings, cuda vs reference, float32", ops, f"{cuda_lines} cuda tests passed"))
bf16_ok = bf16_passed > 0 and bf16_failed == 0
f16_passed, f16_failed = int(sys.argv[8]), int(sys.argv[9])
f16_ok = f16_passed > 0 and f16_failed == 0
ok = ok and bf16_ok and f16_ok and sys.argv[7] == "PASS"
rows.append(("mixed_bfloat16 products, within 1e-2", "PASS" if bf16_ok else "FAIL", f"{bf16_passed} passed, {bf16_failed} failed"))
rows.append(("mixed_float16 products (1e-2), loss scaling", "PASS" if f16_ok else "FAIL", f"{f16_passed} cuda tests passed, {f16_failed} failed"))
rows.append(("kiln train trains on the GPU by itself", sys.argv[7], "run.json notes say 'Training on the GPU'"))
for name, title in (("w1", "W1 MLP, batch 1024"), ("w2", "W2 CNN, batch 256")):
    k, t, th = kiln[name], torch[name], torch[name + "_from_host"]
    ratio = k["samplesPerSecond"] / t
    learned = math.isfinite(k["lastLoss"]) and k["lastLoss"] < k["firstLoss"]
    good = ratio >= 1.0 and learned
    ok = ok and good
    rows.append((f"{title}, >= 1.0x PyTorch eager", "PASS" if good else "FAIL",
                 f"Kiln {k['samplesPerSecond']:.0f} samples/s; PyTorch {t:.0f} (batches on the GPU): {ratio:.2f}x, "
                 f"{th:.0f} (copied from pinned host memory): {k['samplesPerSecond'] / th:.2f}x; step {k['stepMs']:.3f} ms, data wait {k['dataWaitMs']:.3f} ms; "
                 f"loss {k['firstLoss']:.4f} -> {k['lastLoss']:.4f}"))
for name, title in (("w1", "W1 mixed_bfloat16"), ("w2", "W2 mixed_bfloat16")):
    k = kiln[name + "bf16"]
    rows.append((title, "INFO", f"Kiln {k['samplesPerSecond']:.0f} samples/s ({k['samplesPerSecond'] / kiln[name]['samplesPerSecond']:.2f}x its float32); loss {k['firstLoss']:.4f} -> {k['lastLoss']:.4f}"))
for name, title in (("w1", "W1 mixed_float16"), ("w2", "W2 mixed_float16")):
    k = kiln[name + "f16"]
    rows.append((title, "INFO", f"Kiln {k['samplesPerSecond']:.0f} samples/s ({k['samplesPerSecond'] / kiln[name]['samplesPerSecond']:.2f}x its float32); loss {k['firstLoss']:.4f} -> {k['lastLoss']:.4f}; "
                 f"{k['skipped']} of {k['steps']} steps skipped, loss scale {k['lossScale']:.0f}"))
for name in ("w1", "w2"):
    p = kiln[name]["profile"]
    rows.append((f"{name.upper()} profiled step (CUDA events)", "INFO", f"wall {p['stepMs']:.3f} ms, ops {p['opsMs']:.3f} ms over {p['ops']} ops; top: {'; '.join(p['top'][:3])}"))
limit = kiln["memoryLimit"]
ok = ok and limit["ok"]
rows.append(("memory limit 8 MiB refuses W1 clearly", "PASS" if limit["ok"] else "FAIL", (limit["error"] or "no error")[:150]))
rows.append(("device usage", "INFO", json.dumps(kiln["usage"])))
ratio = kiln["gemm_tflops"] / torch["gemm_tflops"]
ok = ok and ratio >= 0.85
rows.append(("GEMM 8192^3 bf16, >= 85% of torch.matmul", "PASS" if ratio >= 0.85 else "FAIL",
             f"Kiln {kiln['gemm_tflops']:.0f} TFLOP/s, torch {torch['gemm_tflops']:.0f}: {100 * ratio:.0f}%"))
print(f"device: {kiln['device']}; PyTorch {torch['torch']}")
for check, verdict, detail in rows:
    print(f"{verdict:8} {check:45} {detail}")
sys.exit(0 if ok else 1)
PYEOF
exit $status
