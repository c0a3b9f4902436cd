import { afterEach, describe, expect, it } from 'vitest';
import type { IEngineService } from '../../common/contract/index.js';
import { RpcClient, createProxy } from '../../common/rpc/index.js';
import { EngineProcess } from '../../electron/host/EngineProcess.js';

let engine: EngineProcess | undefined;

afterEach(async () => {
  await engine?.stop();
});

describe('engine host process (child_process)', () => {
  it('answers malformed IPC messages with errors and keeps serving', async () => {
    engine = EngineProcess.start();
    const replies: unknown[] = [];
    engine.transport.onMessage((text) => replies.push(JSON.parse(text)));
    engine.transport.send('not json at all');
    engine.transport.send(JSON.stringify({ kind: 'call', id: 'raw-1' }));
    const client = new RpcClient(engine.transport);
    const service = createProxy<IEngineService>(client);
    const info = await service.ping();
    expect(info.pid).toBe(engine.pid);
    expect(replies.slice(0, 2)).toEqual([
      { kind: 'error', id: null, error: expect.objectContaining({ code: 'RPC_PARSE_ERROR' }) },
      { kind: 'error', id: 'raw-1', error: expect.objectContaining({ code: 'RPC_INVALID_MESSAGE' }) },
    ]);
    await expect(service.listDatasets()).resolves.toEqual([
      expect.objectContaining({ id: 'iris', rows: 150, features: 4, classes: 3, classNames: ['setosa', 'versicolor', 'virginica'] }),
      expect.objectContaining({ id: 'mnist', classes: 10 }),
      expect.objectContaining({ id: 'auto-mpg', classes: 0 }),
    ]);
  });
});
