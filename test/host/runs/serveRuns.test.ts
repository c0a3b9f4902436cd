// The runs service as the dashboard reaches it: over `kiln serve`'s WebSocket, beside the engine
// service, with studio runs written to KILN_LOGDIR and `runs.didChange` pushed to the page.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IEngineService, IRunsService, RunEnd } from '../../../common/contract/index.js';
import { defaultModel } from '../../../common/model/index.js';
import { createProxy } from '../../../common/rpc/index.js';
import { connectRpc, nextEvent, startKilnServe, type ServeProcess } from '../../support/kilnServe.js';
import { irisConfig } from './studio.js';

const logdir = mkdtempSync(join(tmpdir(), 'kiln-serve-runs-'));
let serve: ServeProcess;
const saved = process.env.KILN_LOGDIR;

beforeAll(async () => {
  process.env.KILN_LOGDIR = logdir;
  try {
    serve = await startKilnServe();
  } finally {
    if (saved === undefined) delete process.env.KILN_LOGDIR;
    else process.env.KILN_LOGDIR = saved;
  }
});

afterAll(async () => {
  await serve?.stop();
  rmSync(logdir, { recursive: true, force: true });
});

describe('the runs service over kiln serve', () => {
  it('lists a studio run written to KILN_LOGDIR and serves its scalars', async () => {
    const { client } = await connectRpc(serve.port, serve.token);
    const engine = createProxy<IEngineService>(client);
    const runs = createProxy<IRunsService>(client);
    expect(await runs.logdir()).toEqual({ logdir });
    expect(await runs.listRuns()).toEqual([]);
    const changed = nextEvent(client, 'runs.didChange');
    const { runId, run } = await engine.startRun({ model: defaultModel(), config: irisConfig(2) }) as { runId: string; run: string };
    expect(await changed).toEqual({ logdir });
    await nextEvent<RunEnd>(client, 'run.didEnd', (e) => e.runId === runId);
    const [summary] = await runs.listRuns();
    expect(summary).toMatchObject({ id: run, source: 'kiln', status: 'completed', step: 16 });
    const [loss] = await runs.scalars({ runs: [run], tags: ['epoch_loss'], xAxis: 'epoch', smoothing: 0.6, smoothingKind: 'ema', width: 500 });
    expect(loss).toMatchObject({ run, tag: 'epoch_loss', split: 'train', count: 2, downsampled: false, raw: { x: [1, 2] } });
    client.close();
  }, 60_000);
});
