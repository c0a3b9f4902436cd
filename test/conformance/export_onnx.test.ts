// Kiln's ONNX export run by onnxruntime: the templates, the models of kerasCodeModels.ts (every
// layer of the catalogue) and exportModels.ts's models and corner cases, with weights in which everything
// matters, must predict what Kiln predicts on a fixed batch within 1e-4, in onnxruntime 1.30 from
// .venv (export_onnx.py) and, where npm installed it, in onnxruntime-node (what the app uses).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compatibility, exportOnnx } from '../../common/export/onnx/index.js';
import { LAYERS, TEMPLATES } from '../../common/model/index.js';
import { ONNX_CASES, TFJS_CASES, type ExportCase } from './exportModels.js';
import { differences, runInKiln, type KilnRun, type Tensor } from './exportParity.js';
import { CODE_CASES } from './kerasCodeModels.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = `${root}.venv/bin/python`;

const CASES: ExportCase[] = [...TEMPLATES.map((t) => ({ name: t.id, model: t.model })), ...CODE_CASES.map((c) => ({ name: c.name, model: c.model })), ...ONNX_CASES, ...TFJS_CASES];
const NAMES = CASES.map((c) => c.name);

function onnxruntimeMissing(): string | null {
  try {
    execFileSync(python, ['-c', 'import onnxruntime'], { stdio: 'ignore' });
    return null;
  } catch {
    return 'onnxruntime is not installed in .venv (npm test installs it with scripts/setupPython.js)';
  }
}

/** The parts of onnxruntime-node's API the test uses (an optional dependency: it may be absent). */
interface OrtNode {
  InferenceSession: { create(model: Uint8Array): Promise<{ outputNames: readonly string[]; run(feeds: Record<string, unknown>): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>> }> };
  Tensor: new (type: 'float32' | 'int32', data: Float32Array | Int32Array, dims: number[]) => unknown;
}

function loadOrtNode(): OrtNode | string {
  try {
    return createRequire(import.meta.url)('onnxruntime-node') as OrtNode;
  } catch (err) {
    return `onnxruntime-node is not installed (${(err as Error).message.split('\n')[0]})`;
  }
}

const missing = onnxruntimeMissing();
const ortNode = loadOrtNode();

interface Exported {
  run: KilnRun;
  bytes: Uint8Array;
}

const exported = new Map<string, Exported>();
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-onnx-'));
  for (const [i, c] of CASES.entries()) {
    const run = await runInKiln(c.model, 1000 + i);
    const files = exportOnnx(c.model, run.analysis, run.weights);
    expect([...files.keys()]).toEqual(['model.onnx']);
    exported.set(c.name, { run, bytes: files.get('model.onnx')! });
  }
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function expectParity(name: string, kiln: Tensor[], got: Record<string, { shape: readonly number[]; data: ArrayLike<number> }>): void {
  expect(Object.keys(got)).toEqual(kiln.map((y) => y.name));
  for (const y of kiln) {
    expect(got[y.name].shape, `${name}: ${y.name}`).toEqual(y.shape);
    const d = differences(got[y.name].data, y.data);
    expect(d.abs, `${name}: ${y.name}, max abs difference`).toBeLessThan(1e-4);
    expect(d.rel, `${name}: ${y.name}, max relative difference`).toBeLessThan(1e-4);
  }
}

describe('the models exported to ONNX', () => {
  it('use every layer type of the catalogue, and ONNX can express each one', () => {
    const used = new Set(CASES.flatMap((c) => c.model.layers.map((l) => l.type)));
    expect([...LAYERS.keys()].filter((t) => !used.has(t))).toEqual([]);
    for (const c of CASES) expect(compatibility(c.model), c.name).toEqual([]);
  });
});

describe.skipIf(missing !== null && !process.env.CI)(`ONNX exports run in onnxruntime${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const results = new Map<string, { outputs: Record<string, { shape: number[]; data: number[] }> } | { error: string }>();
  beforeAll(() => {
    const requests = CASES.map((c) => {
      const { run, bytes } = exported.get(c.name)!;
      mkdirSync(join(dir, c.name));
      const path = join(dir, c.name, 'model.onnx');
      writeFileSync(path, bytes);
      return { path, inputs: Object.fromEntries(run.inputs.map((x) => [x.name, { shape: x.shape, dtype: x.dtype, data: Array.from(x.data) }])) };
    });
    const out = execFileSync(python, [`${root}test/conformance/export_onnx.py`], { input: JSON.stringify(requests), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    (JSON.parse(out) as ({ outputs: Record<string, { shape: number[]; data: number[] }> } | { error: string })[]).forEach((r, i) => results.set(CASES[i].name, r));
  }, 120_000);

  it.each(NAMES)('%s: onnxruntime predicts what Kiln predicts', (name) => {
    const r = results.get(name)!;
    if ('error' in r) throw new Error(`onnxruntime refused ${name}'s model.onnx: ${r.error}`);
    expectParity(name, exported.get(name)!.run.outputs, r.outputs);
  });
});

describe.skipIf(typeof ortNode === 'string')(`ONNX exports run in onnxruntime-node${typeof ortNode === 'string' ? ` (skipped: ${ortNode})` : ''}`, () => {
  it.each(NAMES)('%s: onnxruntime-node predicts what Kiln predicts', async (name) => {
    const ort = ortNode as OrtNode;
    const { run, bytes } = exported.get(name)!;
    const session = await ort.InferenceSession.create(bytes);
    const feeds = Object.fromEntries(run.inputs.map((x) => [x.name, new ort.Tensor(x.dtype, x.data, x.shape)]));
    const out = await session.run(feeds);
    expect(session.outputNames).toEqual(run.outputs.map((y) => y.name));
    expectParity(name, run.outputs, Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: t.dims, data: t.data }])));
  });
});
