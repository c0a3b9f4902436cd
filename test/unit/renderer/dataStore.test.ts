import { afterEach, describe, expect, it } from 'vitest';
import type { DataChoices, DatasetInfo, DataSummary, EngineInfo, IEngineService } from '../../../common/contract/index.js';
import { MemoryTransport, RpcServer, ServiceError } from '../../../common/rpc/index.js';
import { createRpcHost, type RpcHostAdapter } from '../../../renderer/host/rpcHost.js';
import { createDataStore } from '../../../renderer/stores/dataStore.js';

const summary = (spec: string, choices: DataChoices): DataSummary => ({
  spec, format: 'csv', description: spec, inputs: [{ shape: [3], dtype: 'float32' }],
  target: { kind: 'classes', classNames: ['a', 'b'], counts: [4, 6] },
  splits: { train: 10, validation: 0, test: 0 }, notes: [], choices: { target: 'y', ...choices },
});

/** A stand-in engine host that answers inspectData when the test releases it. */
class FakeEngine implements IEngineService {
  pending = new Map<string, () => void>();
  async deviceUsage() {
    return null;
  }
  async ping(): Promise<EngineInfo> {
    return { version: 't', pid: 1 };
  }
  async listDatasets(): Promise<DatasetInfo[]> {
    return [{ id: 'iris', name: 'Iris', rows: 150, features: 4, classes: 3, classNames: [], source: 'test' }];
  }
  async inspectData({ spec, choices }: { spec: string; choices?: DataChoices }): Promise<DataSummary> {
    if (spec === 'bad.csv') throw new ServiceError('INVALID_DATA', 'bad.csv, line 3: 1 cells where the first row has 2');
    await new Promise<void>((resolve) => this.pending.set(spec, resolve));
    return summary(spec, choices ?? {});
  }
  async startRun(): Promise<{ runId: string }> {
    return { runId: 'r' };
  }
  async stopRun(): Promise<void> {}
}

let hosts: RpcHostAdapter[] = [];
afterEach(() => {
  for (const h of hosts) h.close();
  hosts = [];
});

function rig() {
  const [clientSide, serverSide] = MemoryTransport.pair();
  const engine = new FakeEngine();
  new RpcServer(serverSide, engine);
  const host = createRpcHost('test', clientSide);
  hosts.push(host);
  const chosen: DataSummary[] = [];
  const data = createDataStore({ host, onChosen: (s) => chosen.push(s) });
  const released = async (spec: string) => {
    await expect.poll(() => engine.pending.has(spec)).toBe(true);
    const release = engine.pending.get(spec)!;
    engine.pending.delete(spec);
    release();
  };
  return { data, chosen, released };
}

describe('dataStore', () => {
  it('lists the samples, reads the initial spec and hands the summary on', async () => {
    const { data, chosen, released } = rig();
    const loading = data.getState().load();
    await released('sample:iris');
    await loading;
    expect(data.getState().samples.map((s) => s.id)).toEqual(['iris']);
    expect(data.getState()).toMatchObject({ status: 'ready', spec: 'sample:iris', error: null, choices: { target: 'y' } });
    expect(chosen.map((s) => s.spec)).toEqual(['sample:iris']);
  });

  it('keeps the newest answer when an older read finishes later', async () => {
    const { data, chosen, released } = rig();
    const first = data.getState().choose('a.csv');
    const second = data.getState().choose('b.csv');
    await released('b.csv');
    await second;
    await released('a.csv');
    await first;
    expect(data.getState().summary?.spec).toBe('b.csv');
    expect(chosen.map((s) => s.spec)).toEqual(['b.csv']);
  });

  it('shows the engine\'s reason for data it cannot read, and re-reads with changed choices', async () => {
    const { data, chosen, released } = rig();
    await data.getState().choose('bad.csv');
    expect(data.getState()).toMatchObject({ status: 'error', summary: null, error: 'bad.csv, line 3: 1 cells where the first row has 2' });
    expect(chosen).toEqual([]);
    const reading = data.getState().choose('t.csv');
    await released('t.csv');
    await reading;
    const again = data.getState().setChoices({ target: 'x', validationSplit: 0.2 });
    await released('t.csv');
    await again;
    expect(data.getState().choices).toEqual({ target: 'x', validationSplit: 0.2 });
    expect(chosen.at(-1)?.choices).toEqual({ target: 'x', validationSplit: 0.2 });
  });
});
