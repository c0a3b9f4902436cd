// `kiln serve --model RUN` answers TensorFlow Serving's REST API: status, metadata, predict in the
// row and columnar formats with the numbers Kiln's engine gives, and errors in TF Serving's shape.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModel, defaultTrainingConfig } from '../../common/model/index.js';
import { getDataset } from '../../electron/host/datasets.js';
import { loadServedModel } from '../../electron/host/serving/servedModel.js';
import { runTraining } from '../../electron/host/training/runTraining.js';
import { startKilnServe, type ServeProcess } from '../support/kilnServe.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-serving-'));
const iris = getDataset('iris')!;
let serve: ServeProcess;
let runDir: string;

beforeAll(async () => {
  const result = await runTraining({
    model: defaultModel(),
    training: { ...defaultTrainingConfig(), optimizer: { type: 'sgd', learningRate: 0.05 }, batchSize: 16, epochs: 3 },
    data: { x: [{ shape: [150, 4], data: iris.x }], y: [iris.y] },
    run: { logdir: dir, name: 'flowers' },
  });
  runDir = result.runDir!;
  serve = await startKilnServe(['--model', runDir]);
});

afterAll(async () => {
  await serve?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${serve.port}${path}`, init);
const post = (path: string, body: unknown) => api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const rows = (n: number) => Array.from({ length: n }, (_, i) => Array.from(iris.x.subarray(i * 4, i * 4 + 4)));

describe("TensorFlow Serving's REST API under kiln serve --model", () => {
  it('reports the model available and its serving_default signature, without the studio token', async () => {
    const status = await (await api('/v1/models/flowers')).json();
    expect(status).toEqual({ model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] });
    type Info = { dtype: string; tensor_shape: { dim: { size: string }[] } };
    type Signature = { method_name: string; inputs: Record<string, Info>; outputs: Record<string, Info> };
    const meta = (await (await api('/v1/models/flowers/versions/1/metadata')).json()) as { metadata: { signature_def: { signature_def: { serving_default: Signature } } } };
    const sig = meta.metadata.signature_def.signature_def.serving_default;
    expect(sig.method_name).toBe('tensorflow/serving/predict');
    expect(sig.inputs.input.tensor_shape.dim.map((d) => d.size)).toEqual(['-1', '4']);
    expect(sig.outputs.dense_2.dtype).toBe('DT_FLOAT');
    // The studio itself still needs its token.
    expect((await api('/')).status).toBe(403);
  });

  it('predicts in the row and columnar formats with the engine numbers', async () => {
    const model = loadServedModel(runDir);
    const expected = (await model.predict([iris.x.subarray(0, 5 * 4)], 5))[0];
    const byRows = (await (await post('/v1/models/flowers:predict', { instances: rows(5) })).json()) as { predictions: number[][] };
    expect(byRows.predictions).toHaveLength(5);
    expect(byRows.predictions.flat()).toEqual(Array.from(expected));
    const byColumns = (await (await post('/v1/models/flowers:predict', { signature_name: 'serving_default', inputs: { input: rows(5) } })).json()) as { outputs: number[][] };
    expect(byColumns.outputs.flat()).toEqual(Array.from(expected));
    for (const p of byRows.predictions) expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('answers mistakes with TF Serving errors that say what to change', async () => {
    const error = async (r: Response) => ({ status: r.status, error: ((await r.json()) as { error: string }).error });
    expect(await error(await post('/v1/models/flowers:predict', { instances: [[1, 2, 3]] }))).toEqual({ status: 400, error: "instances[0] must be a list of 4 (the input's shape is (4)), got 3 items" });
    expect(await error(await post('/v1/models/flowers:predict', '{"instances": ['))).toMatchObject({ status: 400, error: expect.stringMatching(/^the request body is not JSON/) });
    expect(await error(await post('/v1/models/flowers:predict', { instances: rows(1), inputs: rows(1) }))).toMatchObject({ status: 400, error: expect.stringMatching(/either "instances".*or "inputs"/) });
    expect(await error(await post('/v1/models/flowers:predict', { signature_name: 'other', instances: rows(1) }))).toMatchObject({ status: 400, error: expect.stringMatching(/"other" not found/) });
    expect(await error(await post('/v1/models/roses:predict', { instances: rows(1) }))).toMatchObject({ status: 404, error: expect.stringMatching(/serves the model "flowers"/) });
    expect(await error(await api('/v1/models/flowers/versions/2'))).toMatchObject({ status: 404 });
    // A web page elsewhere cannot call the model.
    expect((await api('/v1/models/flowers', { headers: { origin: 'http://evil.example' } })).status).toBe(403);
  });
});
