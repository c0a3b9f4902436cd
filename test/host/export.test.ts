// kiln export: a run exported all or nothing, with parity.json from the real consumer when one is
// installed (TensorFlow in .venv runs the SavedModel); existing folders and bad requests refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModel, defaultTrainingConfig } from '../../common/model/index.js';
import { getDataset } from '../../electron/host/datasets.js';
import { exportTrainedModel } from '../../electron/host/export/exportModel.js';
import { FolderExistsError } from '../../electron/host/export/writeFolderAtomic.js';
import { runTraining } from '../../electron/host/training/runTraining.js';
import { tensorflowMissing } from '../conformance/tensorflow.js';
import { findPython, runPythonConsumer } from '../../electron/host/export/pythonConsumer.js';
import { repoRoot, startKilnServe } from '../support/kilnServe.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-export-'));
const iris = getDataset('iris')!;
let runDir: string;

beforeAll(async () => {
  const result = await runTraining({
    model: defaultModel(),
    training: { ...defaultTrainingConfig(), optimizer: { type: 'sgd', learningRate: 0.05 }, batchSize: 16, epochs: 2 },
    data: { x: [{ shape: [150, 4], data: iris.x }], y: [iris.y] },
    run: { logdir: dir, name: 'flowers', data: 'sample:iris' },
  });
  runDir = result.runDir!;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kiln = (...args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'kiln.js'), ...args], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });

describe('kiln export', () => {
  it('writes a SavedModel for TF Serving and a parity report on the run\'s own data', async () => {
    const out = join(dir, 'served');
    const result = await exportTrainedModel({ source: runDir, format: 'savedmodel', out });
    expect(result.files).toEqual(expect.arrayContaining(['1/saved_model.pb', '1/variables/variables.index', '1/variables/variables.data-00000-of-00001', 'kiln/model.kiln.json', 'kiln/model.weights.npz', 'parity.json']));
    const parity = JSON.parse(readFileSync(join(out, 'parity.json'), 'utf8'));
    expect(parity).toMatchObject({ format: 'savedmodel', batch: 8, tolerance: 1e-4, data: 'the first 8 training samples of sample:iris' });
    const missing = tensorflowMissing();
    if (missing) {
      expect(parity.checks[0]).toMatchObject({ ran: false });
      return;
    }
    expect(parity.checks).toEqual([expect.objectContaining({ ran: true, ok: true, consumer: expect.stringMatching(/^tensorflow 2\.21/) })]);
    expect(parity.checks[0].outputs[0].name).toBe('dense_2');
    expect(parity.checks[0].outputs[0].maxRelDiff).toBeLessThan(1e-4);
    // No temporary folders are left beside it.
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 120_000);

  it.each(['onnx', 'tflite', 'tfjs', 'keras'] as const)('writes %s and checks it in every consumer at hand', async (format) => {
    const result = await exportTrainedModel({ source: runDir, format, out: join(dir, `as-${format}`) });
    expect(result.parity.checks.length).toBeGreaterThan(0);
    for (const check of result.parity.checks) {
      if (check.ran) expect(check, `${format}: ${check.consumer}`).toMatchObject({ ok: true });
      else expect(check.reason).toMatch(/not installed|no Python/);
    }
    // The in-app consumers ship with Kiln: onnxruntime-node (where npm installed it) and TensorFlow.js.
    if (format === 'tfjs') expect(result.parity.checks[0]).toMatchObject({ consumer: expect.stringMatching(/^@tensorflow\/tfjs/), ran: true });
    if (format === 'keras') expect(result.files).toEqual(expect.arrayContaining(['model.keras', 'train.py']));
  }, 120_000);

  it('refuses an existing folder unless told to replace it, and leaves nothing half-written', async () => {
    const out = join(dir, 'taken');
    writeFileSync(join(dir, 'file'), 'x');
    execFileSync('mkdir', ['-p', out]);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(exportTrainedModel({ source: runDir, format: 'savedmodel', out })).rejects.toThrow(FolderExistsError);
    expect(readFileSync(join(out, 'keep.txt'), 'utf8')).toBe('mine');
    // A folder that cannot be made (its parent is a file) fails without leaving anything.
    await expect(exportTrainedModel({ source: runDir, format: 'savedmodel', out: join(dir, 'file', 'sub') })).rejects.toThrow();
    expect(readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
    const replaced = kiln('export', runDir, '--format', 'savedmodel', '--out', out, '--replace', '--json');
    expect(replaced.status === 0 || tensorflowMissing() !== null).toBe(true);
    expect(existsSync(join(out, 'keep.txt'))).toBe(false);
    expect(existsSync(join(out, '1', 'saved_model.pb'))).toBe(true);
  }, 120_000);

  it('serves the export to TF Serving REST clients with the numbers TensorFlow computes from its SavedModel', async () => {
    const found = findPython('tensorflow');
    if ('missing' in found) return;
    const out = join(dir, 'served');
    const rows = Array.from({ length: 8 }, (_, i) => Array.from(iris.x.subarray(i * 4, i * 4 + 4)));
    const tf = runPythonConsumer(found.python, 'savedmodel', join(out, '1'), { input: { shape: [8, 4], dtype: 'float32', data: rows.flat() } });
    // The export folder itself is served: its kiln/ copy of the model, beside TF Serving's 1/.
    const serve = await startKilnServe(['--model', out, '--model-name', 'flowers']);
    try {
      const reply = await fetch(`http://127.0.0.1:${serve.port}/v1/models/flowers:predict`, { method: 'POST', body: JSON.stringify({ instances: rows }) });
      const { predictions } = (await reply.json()) as { predictions: number[][] };
      const fromTf = tf.outputs.dense_2.data;
      predictions.flat().forEach((v, i) => expect(Math.abs(v - fromTf[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(fromTf[i]))));
    } finally {
      await serve.stop();
    }
  }, 120_000);

  it('says what is wrong with the request', () => {
    expect(kiln('export', runDir, '--format', 'caffe', '--out', join(dir, 'x')).stderr).toMatch(/unknown export format "caffe": choose from savedmodel/);
    expect(kiln('export', runDir, '--format', 'savedmodel').stderr).toMatch(/export needs --out DIR/);
    expect(kiln('export', join(dir, 'nowhere'), '--format', 'savedmodel', '--out', join(dir, 'y')).stderr).toMatch(/does not exist/);
  });
});
