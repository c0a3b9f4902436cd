import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetInfo, DataSummary, EngineInfo, IEngineService, RunEnd, TrainRequest } from '../../../common/contract/index.js';
import { defaultModel, defaultTrainingConfig } from '../../../common/model/index.js';
import { MemoryTransport, RpcServer, ServiceError } from '../../../common/rpc/index.js';
import { createRpcHost, type RpcHostAdapter } from '../../../renderer/host/rpcHost.js';
import { createEditorStore } from '../../../renderer/stores/editorStore.js';
import { MetricsBuffer } from '../../../renderer/stores/metricsBuffer.js';
import { createRunStore, type RunStore } from '../../../renderer/stores/runStore.js';

const IRIS: DatasetInfo = { id: 'iris', name: 'Iris', rows: 150, features: 4, classes: 3, classNames: ['setosa', 'versicolor', 'virginica'], source: 'test' };

/** A stand-in engine host: records requests; the test emits events through `server`. */
class FakeEngine implements IEngineService {
  requests: TrainRequest[] = [];
  stops: string[] = [];
  nextRunId = 1;
  failStart: ServiceError | null = null;

  async deviceUsage() {
    return null;
  }
  async ping(): Promise<EngineInfo> {
    return { version: '0.0.0-test', pid: 4242 };
  }
  async listDatasets(): Promise<DatasetInfo[]> {
    return [IRIS];
  }
  async inspectData(): Promise<DataSummary> {
    throw new ServiceError('UNUSED', 'the run store does not read data');
  }
  async startRun(request: TrainRequest): Promise<{ runId: string }> {
    if (this.failStart) throw this.failStart;
    this.requests.push(request);
    return { runId: `run-${this.nextRunId++}` };
  }
  async stopRun({ runId }: { runId: string }): Promise<void> {
    this.stops.push(runId);
  }
}

interface Rig {
  engine: FakeEngine;
  server: RpcServer;
  host: RpcHostAdapter;
  metrics: MetricsBuffer;
  run: RunStore;
  serverSide: MemoryTransport;
}

let rigs: Rig[] = [];

function makeRig(): Rig {
  const [clientSide, serverSide] = MemoryTransport.pair();
  const engine = new FakeEngine();
  const server = new RpcServer(serverSide, engine);
  const host = createRpcHost('test', clientSide);
  const metrics = new MetricsBuffer(1000);
  const editor = createEditorStore();
  const run = createRunStore({ host, metrics, getModel: () => editor.getState().model, config: { training: { ...defaultTrainingConfig(), epochs: 3 } } });
  const rig = { engine, server, host, metrics, run, serverSide };
  rigs.push(rig);
  return rig;
}

afterEach(() => {
  for (const rig of rigs) {
    rig.run.getState().dispose();
    rig.host.close();
  }
  rigs = [];
});

describe('runStore over rpcHost', () => {
  it('connects: ping makes it ready', async () => {
    const { run } = makeRig();
    expect(run.getState().status).toBe('connecting');
    await run.getState().connect();
    expect(run.getState().status).toBe('ready');
    expect(run.getState().engine).toEqual({ version: '0.0.0-test', pid: 4242 });
    expect(run.getState().datasets).toEqual([IRIS]);
  });

  it('train() sends the model and config to startRun and records the run id', async () => {
    const { run, engine } = makeRig();
    await run.getState().connect();
    await run.getState().train();
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0].model).toEqual(defaultModel());
    expect(engine.requests[0].config).toEqual({ dataset: 'sample:iris', training: { ...defaultTrainingConfig(), epochs: 3 } });
    expect(run.getState().status).toBe('training');
    expect(run.getState().runId).toBe('run-1');
  });

  it('appends metric events of the current run to the buffer and ignores other runs', async () => {
    const { run, server, metrics } = makeRig();
    await run.getState().train();
    server.emit('run.didMetrics', { runId: 'run-1', points: [{ step: 1, epoch: 0, loss: 1.1 }, { step: 2, epoch: 0, loss: 0.9 }] });
    server.emit('run.didMetrics', { runId: 'run-other', points: [{ step: 1, epoch: 0, loss: 7 }] });
    server.emit('run.didMetrics', { runId: 'run-1', points: [{ step: 3, epoch: 0, loss: 0.7 }] });
    await expect.poll(() => metrics.size).toBe(3);
    expect(metrics.toArray().map((p) => p.loss)).toEqual([1.1, 0.9, 0.7]);
  });

  it('run.didEnd sets the final status, figures and message', async () => {
    const { run, server, metrics } = makeRig();
    await run.getState().train();
    server.emit('run.didMetrics', { runId: 'run-1', points: [{ step: 1, epoch: 0, loss: 0.4 }] });
    server.emit('run.didEnd', { runId: 'run-1', status: 'completed', loss: 0.0512, accuracy: 0.9733, steps: 30 } satisfies RunEnd);
    await expect.poll(() => run.getState().status).toBe('completed');
    expect(metrics.size).toBe(1);
    expect(run.getState().finalAccuracy).toBe(0.9733);
    expect(run.getState().finalLoss).toBe(0.0512);
    expect(run.getState().message).toContain('loss 0.0512');
    expect(run.getState().message).toContain('accuracy 97.3%');
  });

  it('a failed run shows the engine error', async () => {
    const { run, server } = makeRig();
    await run.getState().train();
    server.emit('run.didEnd', { runId: 'run-1', status: 'failed', error: { code: 'NAN_LOSS', message: 'the loss became NaN at step 12: lower the learning rate' } });
    await expect.poll(() => run.getState().status).toBe('failed');
    expect(run.getState().message).toContain('lower the learning rate');
  });

  it('a new train() clears the previous metrics', async () => {
    const { run, server, metrics } = makeRig();
    await run.getState().train();
    server.emit('run.didMetrics', { runId: 'run-1', points: [{ step: 1, epoch: 0, loss: 1 }] });
    server.emit('run.didEnd', { runId: 'run-1', status: 'completed', loss: 1, accuracy: 0.5 });
    await expect.poll(() => run.getState().status).toBe('completed');
    await run.getState().train();
    expect(metrics.size).toBe(0);
    expect(run.getState().runId).toBe('run-2');
    expect(run.getState().finalAccuracy).toBeNull();
  });

  it('shows INVALID_MODEL and other startRun errors', async () => {
    const { run, engine } = makeRig();
    engine.failStart = new ServiceError('INVALID_MODEL', "Dense 'dense_2' has 5 units but Iris has 3 classes: set units to 3");
    await run.getState().train();
    expect(run.getState().status).toBe('failed');
    expect(run.getState().runId).toBeNull();
    expect(run.getState().message).toContain("Dense 'dense_2' has 5 units but Iris has 3 classes");
  });

  it('stop() asks the engine to stop the run', async () => {
    const { run, engine, server } = makeRig();
    await run.getState().train();
    await run.getState().stop();
    expect(engine.stops).toEqual(['run-1']);
    server.emit('run.didEnd', { runId: 'run-1', status: 'stopped', loss: 0.3, accuracy: 0.8 });
    await expect.poll(() => run.getState().status).toBe('stopped');
  });

  it('engine.didStop sets engine-stopped with a message that says what to do', async () => {
    const { run, server } = makeRig();
    await run.getState().train();
    server.emit('engine.didStop', { reason: 'the engine host crashed (signal SIGSEGV)' });
    await expect.poll(() => run.getState().status).toBe('engine-stopped');
    expect(run.getState().runId).toBeNull();
    expect(run.getState().message).toBe('The engine stopped (the engine host crashed (signal SIGSEGV)). Press Train to start a new one.');
    // Train works again afterwards (the server restarts the engine on the next call).
    await run.getState().train();
    expect(run.getState().status).toBe('training');
    expect(run.getState().runId).toBe('run-2');
  });

  it('metrics that arrive before startRun answers are kept', async () => {
    const { run, engine, server, metrics } = makeRig();
    // The engine emits its first metrics before replying to startRun.
    const startRun = engine.startRun.bind(engine);
    engine.startRun = async (request) => {
      const answer = await startRun(request);
      server.emit('run.didMetrics', { runId: answer.runId, points: [{ step: 1, epoch: 0, loss: 2 }] });
      return answer;
    };
    await run.getState().train();
    await expect.poll(() => metrics.size).toBe(1);
  });

  it('losing the connection shows disconnected', async () => {
    const { run, serverSide } = makeRig();
    await run.getState().connect();
    serverSide.close();
    await expect.poll(() => run.getState().status).toBe('disconnected');
    expect(run.getState().message).toContain('Cannot reach the Kiln engine');
    await run.getState().train();
    expect(run.getState().status).toBe('disconnected');
  });
});
