import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConfusionMatrix, HistogramSeries, IRunsService, Misclassified, RunSummary, ScalarQuery, ScalarSeries } from '../../../common/contract/index.js';
import { defaultModel, defaultTrainingConfig, type ModelDoc, type TrainingConfig } from '../../../common/model/index.js';
import { MemoryTransport, RpcServer, ServiceError } from '../../../common/rpc/index.js';
import { ScalarColumns } from '../../../electron/host/runs/EventsScanner.js';
import { scalarSeries } from '../../../electron/host/runs/scalarSeries.js';
import { sortRuns, tableColumns } from '../../../renderer/features/runs/runColumns.js';
import { createRpcHost, type RpcHostAdapter } from '../../../renderer/host/rpcHost.js';
import { createRunsStore, shownTags, visibleRuns, type RunsStore } from '../../../renderer/stores/runsStore.js';

function summary(id: string, patch: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: id,
    source: 'kiln',
    status: 'completed',
    hparams: {},
    metrics: {},
    tags: [{ tag: 'epoch_loss', splits: ['train', 'validation'] }],
    step: 100,
    has: { histograms: false, confusion: false, misclassified: false },
    ...patch,
  };
}

/** A logdir in memory: serves IRunsService (and the engine's stopRun) and counts scalar requests. */
class MemoryRuns implements IRunsService {
  runs: RunSummary[] = [];
  queries: ScalarQuery[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** How long a scalars answer takes (fake time). */
  delayMs = 0;
  stopped: string[] = [];
  nextResume = 1;
  failScalars = false;

  async logdir() {
    return { logdir: '/logs' };
  }
  async openLogdir({ logdir }: { logdir: string }) {
    return { logdir, runs: this.runs };
  }
  async listRuns() {
    return this.runs.map((r) => ({ ...r }));
  }
  async scalars(query: ScalarQuery): Promise<ScalarSeries[]> {
    this.queries.push(query);
    if (this.failScalars) throw new ServiceError('UNREADABLE', 'events.out.tfevents.1 is not a TensorBoard events file');
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.inFlight--;
    return query.runs.flatMap((run) =>
      query.tags.map((tag): ScalarSeries => {
        const step = this.runs.find((r) => r.id === run)?.step ?? 0;
        return { run, tag, split: 'train', count: step, downsampled: false, raw: { x: [step], y: [1 / step] }, smoothed: { x: [step], y: [1 / step] }, last: { x: step, y: 1 / step, step } };
      }),
    );
  }
  async histograms(): Promise<HistogramSeries[]> {
    return [];
  }
  async confusion(): Promise<ConfusionMatrix | null> {
    return null;
  }
  async misclassified(): Promise<Misclassified | null> {
    return null;
  }
  async renameRun({ run, name }: { run: string; name: string }) {
    const r = this.find(run);
    r.name = name;
    return { ...r };
  }
  async setRunNotes({ run, notes }: { run: string; notes: string }) {
    const r = this.find(run);
    r.notes = notes;
    return { ...r };
  }
  async deleteRun({ run }: { run: string }) {
    this.find(run);
    this.runs = this.runs.filter((r) => r.id !== run);
  }
  async resumeRun({ run }: { run: string }) {
    const from = this.find(run);
    const id = `${from.id}-resumed`;
    this.runs.push(summary(id, { status: 'running', createdAt: '2030-01-01T00:00:00Z' }));
    return { runId: `engine-${this.nextResume++}`, run: id };
  }
  async runConfig(): Promise<{ model: ModelDoc; training: TrainingConfig; data?: string }> {
    return { model: defaultModel(), training: defaultTrainingConfig(), data: 'sample:iris' };
  }
  async stopRun({ runId }: { runId: string }) {
    this.stopped.push(runId);
  }
  private find(run: string): RunSummary {
    const r = this.runs.find((x) => x.id === run);
    if (!r) throw new ServiceError('UNKNOWN_RUN', `there is no run "${run}" in /logs`);
    return r;
  }
}

interface Rig {
  service: MemoryRuns;
  server: RpcServer;
  host: RpcHostAdapter;
  store: RunsStore;
}

let rigs: Rig[] = [];

function makeRig(runs: RunSummary[]): Rig {
  const [clientSide, serverSide] = MemoryTransport.pair();
  const service = new MemoryRuns();
  service.runs = runs;
  const server = new RpcServer(serverSide, service);
  const host = createRpcHost('test', clientSide);
  const store = createRunsStore({ host });
  const rig = { service, server, host, store };
  rigs.push(rig);
  return rig;
}

/** Lets calls, answers and timers due in the next `ms` run. */
const pass = (ms: number) => vi.advanceTimersByTimeAsync(ms);

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  for (const rig of rigs) {
    rig.store.getState().dispose();
    rig.host.close();
  }
  rigs = [];
  vi.useRealTimers();
});

const older = summary('mlp-1', { createdAt: '2026-01-01T10:00:00Z', hparams: { learning_rate: 0.01, batch_size: 32, optimizer: 'adam' }, metrics: { val_loss: 0.4, best_val_accuracy: 0.9 } });
const newer = summary('mlp-2', { createdAt: '2026-01-02T10:00:00Z', hparams: { learning_rate: 0.001, batch_size: 16, optimizer: 'sgd' }, metrics: { val_loss: 0.3 } });
const third = summary('cnn-10', { createdAt: '2026-01-03T10:00:00Z', status: 'failed', hparams: { learning_rate: 0.1, optimizer: 'adam' }, metrics: { val_loss: 0.5, best_val_accuracy: 0.95 }, notes: 'wider filters' });

describe('runsStore: the list and selection', () => {
  it('lists the runs when shown, picks the newest for the charts and gives it a colour', async () => {
    const { store, service } = makeRig([older, newer, third]);
    expect(service.queries).toHaveLength(0);
    store.getState().setActive(true);
    await pass(10);
    const s = store.getState();
    expect(s.logdir).toBe('/logs');
    expect(s.runs.map((r) => r.id)).toEqual(['mlp-1', 'mlp-2', 'cnn-10']);
    expect(s.selected).toEqual(['cnn-10']);
    expect(s.focus).toBe('cnn-10');
    expect(s.colours['cnn-10']).toMatch(/^#/);
    expect(service.queries).toHaveLength(1);
    expect(service.queries[0]).toMatchObject({ runs: ['cnn-10'], tags: ['epoch_loss'], xAxis: 'step', smoothing: 0.6, smoothingKind: 'ema' });
  });

  it('keeps each run its colour, distinct among the runs shown', async () => {
    const { store } = makeRig([older, newer, third]);
    store.getState().setActive(true);
    await pass(10);
    store.getState().toggleSelected('mlp-1');
    store.getState().toggleSelected('mlp-2');
    const first = { ...store.getState().colours };
    expect(new Set(['cnn-10', 'mlp-1', 'mlp-2'].map((id) => first[id])).size).toBe(3);
    // Taking one away and back, or another away, keeps the colours.
    store.getState().toggleSelected('mlp-1');
    store.getState().toggleSelected('cnn-10');
    store.getState().toggleSelected('mlp-1');
    expect(store.getState().colours['mlp-1']).toBe(first['mlp-1']);
    expect(store.getState().colours['mlp-2']).toBe(first['mlp-2']);
    expect(store.getState().selected).toEqual(['mlp-2', 'mlp-1']);
  });

  it('filters by status and by text in the name, the notes or an hparam=value', () => {
    const runs = [older, newer, third];
    expect(visibleRuns(runs, { text: '', status: 'all' }).map((r) => r.id)).toEqual(['cnn-10', 'mlp-2', 'mlp-1']);
    expect(visibleRuns(runs, { text: '', status: 'failed' }).map((r) => r.id)).toEqual(['cnn-10']);
    expect(visibleRuns(runs, { text: 'MLP', status: 'all' }).map((r) => r.id)).toEqual(['mlp-2', 'mlp-1']);
    expect(visibleRuns(runs, { text: 'optimizer=adam', status: 'completed' }).map((r) => r.id)).toEqual(['mlp-1']);
    expect(visibleRuns(runs, { text: 'wider', status: 'all' }).map((r) => r.id)).toEqual(['cnn-10']);
  });

  it('shows the tags of the selected runs that pass the tag filter (text or regular expression)', () => {
    const a = summary('a', { tags: [{ tag: 'epoch_loss', splits: ['train'] }, { tag: 'epoch_accuracy', splits: ['train'] }] });
    const b = summary('b', { tags: [{ tag: 'batch_loss', splits: [''] }] });
    expect(shownTags([a, b], ['a', 'b'], '')).toEqual(['batch_loss', 'epoch_accuracy', 'epoch_loss']);
    expect(shownTags([a, b], ['a'], 'LOSS')).toEqual(['epoch_loss']);
    expect(shownTags([a, b], ['a', 'b'], '^epoch_(loss|acc)')).toEqual(['epoch_accuracy', 'epoch_loss']);
    expect(shownTags([a, b], ['a', 'b'], 'loss[')).toEqual([]);
  });

  it('picks a run that starts while shown, on runs.didChange', async () => {
    const { store, service, server } = makeRig([older]);
    store.getState().setActive(true);
    await pass(10);
    service.runs.push(summary('live', { status: 'running', createdAt: '2026-02-01T00:00:00Z' }));
    server.emit('runs.didChange', { logdir: '/logs' });
    await pass(10);
    expect(store.getState().selected).toEqual(['mlp-1', 'live']);
  });
});

describe('runsStore: live scalars', () => {
  it('polls only while a selected run is running, at 5 to 10 requests a second, and only the running runs', async () => {
    const live = summary('live', { status: 'running', createdAt: '2026-02-01T00:00:00Z', step: 1 });
    const { store, service, server } = makeRig([older, live]);
    store.getState().setActive(true);
    await pass(10);
    store.getState().toggleSelected('mlp-1');
    await pass(10);
    const before = service.queries.length;
    await pass(1000);
    const polls = service.queries.slice(before);
    expect(polls.length).toBeGreaterThanOrEqual(5);
    expect(polls.length).toBeLessThanOrEqual(10);
    expect(polls.every((q) => q.runs.length === 1 && q.runs[0] === 'live')).toBe(true);
    // Both runs stay on the charts while only one is fetched again.
    expect(new Set(store.getState().series.map((s) => s.run))).toEqual(new Set(['live', 'mlp-1']));

    // The run ends: one last fetch of its final points, then quiet.
    service.runs[1] = { ...live, status: 'completed', step: 50 };
    server.emit('runs.didChange', { logdir: '/logs' });
    await pass(300);
    const settled = service.queries.length;
    expect(store.getState().series.find((s) => s.run === 'live')?.count).toBe(50);
    await pass(3000);
    expect(service.queries.length).toBe(settled);
  });

  it('polls with the cursors of the series it holds: unchanged series keep their objects, grown ones take the newest points', async () => {
    const live = summary('live', { status: 'running', createdAt: '2026-02-01T00:00:00Z', tags: [{ tag: 'batch_loss', splits: ['train'] }, { tag: 'epoch_loss', splits: ['train'] }] });
    const { store, service } = makeRig([live]);
    // The host's own series code over columns that grow by 7 points a poll (batch_loss) or not at all (epoch_loss).
    const columns = { batch_loss: new ScalarColumns(), epoch_loss: new ScalarColumns() };
    for (let i = 1; i <= 3; i++) columns.epoch_loss.push(i, i, 1 / i);
    const sent: number[] = [];
    service.scalars = async (query) => {
      service.queries.push(query);
      for (let k = 0; k < 7; k++) columns.batch_loss.push(columns.batch_loss.length + 1, 0, Math.sin(columns.batch_loss.length));
      const since = new Map((query.since ?? []).map((c) => [c.tag, c]));
      const out = query.tags.flatMap((tag) => scalarSeries('live', tag, 'train', columns[tag as keyof typeof columns], query, 0, null, since.get(tag)) ?? []);
      sent.push(out.reduce((n, x) => n + x.raw.x.length, 0));
      return out;
    };
    store.getState().setChartWidth(100);
    store.getState().setActive(true);
    await pass(10);
    const epoch = () => store.getState().series.find((x) => x.tag === 'epoch_loss');
    const first = epoch();
    await pass(3000);
    const polls = service.queries.slice(1);
    expect(polls.length).toBeGreaterThan(10);
    expect(polls.every((q) => q.since?.length === 2)).toBe(true);
    expect(epoch()).toBe(first);
    // What the store holds is the whole series, though each poll sent a few points.
    const batch = store.getState().series.find((x) => x.tag === 'batch_loss')!;
    const { cursor: _held, ...held } = batch;
    const { cursor: _whole, ...whole } = scalarSeries('live', 'batch_loss', 'train', columns.batch_loss, service.queries.at(-1)!, 0, null);
    expect(held).toEqual(whole);
    expect(batch.downsampled).toBe(true);
    // Most polls sent the newest bucket and the new points; the whole series only when the bucket size grew.
    expect(sent.filter((n) => n <= 16).length).toBeGreaterThan(sent.length * 0.7);
  });

  it('never has two scalar requests in flight, however slow the host', async () => {
    const live = summary('live', { status: 'running', createdAt: '2026-02-01T00:00:00Z' });
    const { store, service } = makeRig([live]);
    service.delayMs = 400;
    store.getState().setActive(true);
    await pass(10);
    // Settings change while a request is in flight: they wait for it.
    store.getState().setChart({ smoothing: 0.9 });
    store.getState().setChart({ xAxis: 'wall' });
    await pass(3000);
    expect(service.maxInFlight).toBe(1);
    expect(service.queries.length).toBeGreaterThanOrEqual(6);
    expect(service.queries.length).toBeLessThanOrEqual(9);
    expect(service.queries.at(-1)).toMatchObject({ smoothing: 0.9, xAxis: 'wall' });
  });

  it('drops an answer to a question no longer asked', async () => {
    const { store, service } = makeRig([older]);
    service.delayMs = 200;
    store.getState().setActive(true);
    await pass(10);
    store.getState().setChart({ xAxis: 'epoch' });
    // The first answer (step axis) arrives after the change: it must not be shown.
    await pass(200);
    expect(store.getState().series).toEqual([]);
    await pass(200);
    expect(service.queries.map((q) => q.xAxis)).toEqual(['step', 'epoch']);
    expect(store.getState().series).toHaveLength(1);
  });

  it('asks for about as many points as the chart has pixels; log scale needs no new fetch', async () => {
    const { store, service } = makeRig([older]);
    store.getState().setActive(true);
    await pass(10);
    store.getState().setChartWidth(631);
    await pass(10);
    expect(service.queries.at(-1)?.width).toBe(640);
    store.getState().setChartWidth(635);
    store.getState().setChart({ logScale: true });
    await pass(10);
    expect(service.queries).toHaveLength(2);
  });

  it('says why scalars cannot be read, and polls a failing host only every 2 s', async () => {
    const live = summary('live', { status: 'running', createdAt: '2026-02-01T00:00:00Z' });
    const { store, service } = makeRig([live]);
    service.failScalars = true;
    store.getState().setActive(true);
    await pass(10);
    expect(store.getState().notice).toBe("Cannot read the runs' scalars: events.out.tfevents.1 is not a TensorBoard events file");
    await pass(4000);
    expect(service.queries).toHaveLength(3);
    service.failScalars = false;
    await pass(2000);
    const count = service.queries.length;
    await pass(1000);
    expect(service.queries.length - count).toBeGreaterThanOrEqual(5);
  });

  it('stops polling when the view is hidden', async () => {
    const live = summary('live', { status: 'running', createdAt: '2026-02-01T00:00:00Z' });
    const { store, service } = makeRig([live]);
    store.getState().setActive(true);
    await pass(500);
    store.getState().setActive(false);
    await pass(10);
    const count = service.queries.length;
    await pass(2000);
    expect(service.queries.length).toBe(count);
  });
});

describe('runsStore: the hyperparameter table', () => {
  it('has a column per hparam (common ones first) and per metric', () => {
    expect(tableColumns([older, newer, third]).map((c) => c.id)).toEqual([
      'name', 'status', 'hparam:optimizer', 'hparam:learning_rate', 'hparam:batch_size', 'metric:best_val_accuracy', 'metric:val_loss',
    ]);
  });

  it('sorts by a column, reverses on a second click, and keeps runs without the value last', async () => {
    const { store } = makeRig([older, newer, third]);
    store.getState().sortBy('hparam:learning_rate');
    expect(sortRuns([older, newer, third], store.getState().sort).map((r) => r.id)).toEqual(['mlp-2', 'mlp-1', 'cnn-10']);
    store.getState().sortBy('hparam:learning_rate');
    expect(sortRuns([older, newer, third], store.getState().sort).map((r) => r.id)).toEqual(['cnn-10', 'mlp-1', 'mlp-2']);
    // A new metric column shows the best first: highest accuracy; mlp-2 has none.
    store.getState().sortBy('metric:best_val_accuracy');
    expect(sortRuns([older, newer, third], store.getState().sort).map((r) => r.id)).toEqual(['cnn-10', 'mlp-1', 'mlp-2']);
    store.getState().sortBy('metric:val_loss');
    expect(sortRuns([older, newer, third], store.getState().sort).map((r) => r.id)).toEqual(['mlp-2', 'mlp-1', 'cnn-10']);
    // Names in natural order.
    store.getState().sortBy('name');
    expect(sortRuns([older, newer, third, summary('mlp-10')], store.getState().sort).map((r) => r.id)).toEqual(['cnn-10', 'mlp-1', 'mlp-2', 'mlp-10']);
  });
});

describe('runsStore: run actions', () => {
  it('renames, keeps notes, deletes (leaving the charts) and reports failures in words', async () => {
    const { store, service } = makeRig([older, newer]);
    store.getState().setActive(true);
    await pass(10);
    await store.getState().rename('mlp-1', '  baseline ');
    expect(store.getState().runs.find((r) => r.id === 'mlp-1')?.name).toBe('baseline');
    await store.getState().setNotes('mlp-1', 'lr too high');
    expect(service.runs[0].notes).toBe('lr too high');
    store.getState().setSelected(['mlp-1', 'mlp-2']);
    await store.getState().remove('mlp-2');
    await pass(10);
    expect(store.getState().runs.map((r) => r.id)).toEqual(['mlp-1']);
    expect(store.getState().selected).toEqual(['mlp-1']);
    await store.getState().remove('mlp-2');
    expect(store.getState().notice).toBe('Cannot delete mlp-2: there is no run "mlp-2" in /logs');
  });

  it('resumes a run as a new running run on the charts, and stops it through the engine', async () => {
    const { store, service } = makeRig([older]);
    store.getState().setActive(true);
    await pass(10);
    await store.getState().resume('mlp-1');
    await pass(10);
    expect(store.getState().selected).toEqual(['mlp-1', 'mlp-1-resumed']);
    expect(store.getState().focus).toBe('mlp-1-resumed');
    expect(store.getState().resumed).toEqual({ 'mlp-1-resumed': 'engine-1' });
    await store.getState().stopResumed('mlp-1-resumed');
    expect(service.stopped).toEqual(['engine-1']);
  });
});
