import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { EngineEvents, MetricPoint, TrainConfig } from '../../common/contract/index.js';
import { defaultModel, defaultTrainingConfig } from '../../common/model/index.js';
import { connectRpc, nextEvent, startKilnServe, type ServeProcess } from '../support/kilnServe.js';

const config: TrainConfig = { dataset: 'sample:iris', training: { ...defaultTrainingConfig(), optimizer: { type: 'sgd', learningRate: 0.05 }, epochs: 60, batchSize: 16 } };
const withEpochs = (epochs: number): TrainConfig => ({ ...config, training: { ...config.training, epochs } });

let serve: ServeProcess;

beforeAll(async () => {
  serve = await startKilnServe();
});

afterAll(async () => {
  await serve?.stop();
});

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`http://127.0.0.1:${serve.port}${path}`, { headers });
}

describe('kiln serve', () => {
  it('serves the page only with the token, on the expected Host', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/?token=wrong')).status).toBe(403);
    const page = await get(`/?token=${serve.token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    expect((await get('/index.html', { cookie })).status).toBe(200);
    expect((await get('/../package.json', { cookie })).status).toBe(404);
  });

  it('refuses WebSocket connections without the token', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/rpc`);
    const outcome = await new Promise((resolve) => {
      socket.once('open', () => resolve('open'));
      socket.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });

  it('answers a malformed RPC message with an error and keeps serving', async () => {
    const { socket, engine, client } = await connectRpc(serve.port, serve.token);
    const reply = await new Promise<unknown>((resolve) => {
      socket.once('message', (data) => resolve(JSON.parse(data.toString())));
      socket.send('{"kind": "call", "method": 12');
    });
    expect(reply).toMatchObject({ kind: 'error', id: null, error: { code: 'RPC_PARSE_ERROR' } });
    await expect(client.call('noSuchMethod')).rejects.toMatchObject({ code: 'RPC_UNKNOWN_METHOD' });
    const info = await engine.ping();
    expect(info.version).toMatch(/kiln-native/);
    client.close();
  });

  it('trains Iris and streams the loss in batches of at most 20 a second', async () => {
    const { engine, client } = await connectRpc(serve.port, serve.token);
    const batches: { at: number; points: MetricPoint[] }[] = [];
    client.onEvent((event, data) => {
      if (event === 'run.didMetrics') batches.push({ at: Date.now(), points: (data as EngineEvents['run.didMetrics']).points });
    });
    const ended = nextEvent<EngineEvents['run.didEnd']>(client, 'run.didEnd');
    const { runId } = await engine.startRun({ model: defaultModel(), config });
    const end = await ended;
    expect(end).toMatchObject({ runId, status: 'completed', steps: 60 * 10 });
    const points = batches.flatMap((b) => b.points);
    expect(points.map((p) => p.step)).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    expect(points.at(-1)!.loss).toBeLessThan(points[0].loss);
    expect(points.every((p) => p.dataWait !== undefined && p.dataWait >= 0 && p.dataWait < 1)).toBe(true);
    expect(end.accuracy).toBeGreaterThan(0.9);
    // The batcher keeps 50 ms between batches (20 a second); allow a little timer jitter.
    for (let i = 1; i < batches.length; i++) expect(batches[i].at - batches[i - 1].at).toBeGreaterThanOrEqual(40);
    client.close();
  });

  it('rejects a model that does not fit the data, naming the layer', async () => {
    const { engine, client } = await connectRpc(serve.port, serve.token);
    const model = defaultModel();
    model.layers[2] = { id: 'dense_2', name: 'out', type: 'Dense', params: { units: 2, activation: 'softmax', use_bias: true } };
    await expect(engine.startRun({ model, config })).rejects.toMatchObject({
      code: 'INVALID_MODEL',
      message: `the data has 3 classes ("setosa", "versicolor", "virginica") but Dense 'out' outputs 2 scores: give Dense 'out' 3 units, or use data with at most 2 classes`,
    });
    model.layers[0] = { ...model.layers[0], params: { shape: [5] } };
    model.layers[2] = { ...model.layers[2], params: { units: 3, activation: 'softmax', use_bias: true } };
    await expect(engine.startRun({ model, config })).rejects.toMatchObject({
      code: 'INVALID_MODEL',
      message: expect.stringContaining("the data's samples have shape (4,) but Input 'input' takes (5,): set the Input's shape to (4,)"),
    });
    await expect(engine.startRun({ model: defaultModel(), config: { ...config, dataset: 'sample:nope' } })).rejects.toMatchObject({
      code: 'UNKNOWN_DATASET',
      message: expect.stringContaining('unknown sample dataset "nope": available: sample:iris, sample:mnist, sample:auto-mpg'),
    });
    client.close();
  });

  it('reports a killed engine and starts a new one on the next call', async () => {
    const { engine, client } = await connectRpc(serve.port, serve.token);
    const { pid } = await engine.ping();
    const firstMetrics = nextEvent(client, 'run.didMetrics');
    const stopped = nextEvent<EngineEvents['engine.didStop']>(client, 'engine.didStop');
    await engine.startRun({ model: defaultModel(), config: withEpochs(1_000_000) });
    await firstMetrics;
    process.kill(pid, 'SIGKILL');
    expect((await stopped).reason).toMatch(/SIGKILL/);
    const next = await engine.ping();
    expect(next.pid).not.toBe(pid);
    const ended = nextEvent<EngineEvents['run.didEnd']>(client, 'run.didEnd');
    await engine.startRun({ model: defaultModel(), config: withEpochs(5) });
    expect((await ended).status).toBe('completed');
    client.close();
  });
});

describe('kiln serve security', () => {
  it('refuses a foreign Host header and a foreign Origin', async () => {
    // fetch may not set Host, so ask with node:http as a DNS-rebinding page's request would arrive.
    const status = await new Promise((resolve, reject) => {
      request({ port: serve.port, host: '127.0.0.1', path: `/?token=${serve.token}`, headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
    const socket = new WebSocket(`ws://127.0.0.1:${serve.port}/rpc?token=${serve.token}`, { origin: 'http://evil.example' });
    const outcome = await new Promise((resolve) => {
      socket.once('open', () => resolve('open'));
      socket.once('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });
});
