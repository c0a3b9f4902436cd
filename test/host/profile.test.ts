// A real profiling run of a small CNN on the native engine: every op attributed to a layer (or the
// model), a trace that nests per thread with op times that add up to the measured step, the
// engine's step per thread and measured memory, the overhead and the cached peak; the RPC service
// and `kiln profile` around it; a window of steps of a studio run profiled while it trains.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EngineErrorCode, ProfileErrorCode } from '../../common/contract/index.js';
import { splitCsvRows } from '../../common/data/csvTable.js';
import { defaultModel, defaultTrainingConfig } from '../../common/model/index.js';
import { chromeTrace, MODEL_ROW } from '../../common/profile/index.js';
import { profile, PROFILE_USAGE } from '../../electron/host/cli/profile.js';
import { machinePeak } from '../../electron/host/profile/peakProbe.js';
import { profileRun } from '../../electron/host/profile/profileRun.js';
import { ProfileService } from '../../electron/host/ProfileService.js';
import { cnnDoc, loweredCnn } from '../unit/common/profileFixture.js';
import { nestingProblems, traceTotals } from '../unit/common/profileTraceCheck.js';
import { irisConfig, studio } from './runs/studio.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const training = { ...defaultTrainingConfig(), batchSize: 32 };

function digits(count: number) {
  let s = 7;
  const x = new Float32Array(count * 784).map(() => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32));
  return { x: [{ shape: [count, 28, 28, 1], data: x }], y: [Int32Array.from({ length: count }, (_, i) => i % 10)] };
}

describe('profileRun', () => {
  it('profiles a small CNN: every op attributed, a nesting trace whose ops add up to the step, the overhead and the peak', async () => {
    const peakDir = join(dir, 'config');
    const report = await profileRun({ model: cnnDoc, training, data: digits(256), steps: 24, windows: 4, configDir: peakDir });
    expect(report.steps).toBe(24);
    expect(report.batchSize).toBe(32);
    expect(report.windows).toHaveLength(4);
    expect(report.windows.every((w) => w.steps === 6 && w.loss !== undefined && Number.isFinite(w.loss))).toBe(true);

    // Attribution covers every op: a layer of the model, or the model itself for loss and metrics.
    const names = new Set(loweredCnn().analysis.order.map((o) => o.layer.name));
    for (const op of report.ops) {
      expect(op.calls).toBe(24);
      if (op.layerId === null) expect([op.layer, op.phase, op.node]).toEqual([MODEL_ROW, expect.stringMatching(/^(loss|metrics|backward)$/), expect.stringMatching(/^(loss|metrics)\//)]);
      else expect(names.has(op.layer)).toBe(true);
    }
    for (const name of ['conv1', 'pool', 'flat', 'fc1', 'out']) expect(report.layers.find((l) => l.name === name)!.ops).toBeGreaterThan(0);
    expect(report.ops.filter((o) => o.phase === 'optimizer')).toHaveLength(6);
    expect(report.ops.find((o) => o.node === 'conv1/conv2d/grad/dkernel')!.gflops).toBeGreaterThan(0);

    const trace = JSON.parse(JSON.stringify(chromeTrace(report)));
    expect(nestingProblems(trace)).toEqual([]);
    const { opsUs, waitUs, stepUs } = traceTotals(trace);
    expect(Math.abs(opsUs + waitUs - stepUs) / stepUs).toBeLessThan(0.1);

    // The engine's record of the last profiled step, a track per thread in the trace.
    const timeline = report.timeline!;
    expect(timeline.step).toBe(report.windows[3].firstStep + 5);
    expect(timeline.spans.filter((s) => s.thread === 0).map((s) => s.node)).toEqual(report.ops.map((o) => o.node));
    expect(trace.traceEvents.filter((e: { pid: number; name: string }) => e.pid === 2 && e.name === 'thread_name')).toHaveLength(timeline.threads);
    // Memory measured in the engine: the weights and Adam's slots are what the layers estimate.
    const memory = report.memory.measured!;
    expect(memory.weightBytes).toBe(report.memory.paramBytes);
    expect(memory.optimizerBytes).toBe(report.memory.optimizerBytes);
    expect(memory.peakBytes).toBeGreaterThanOrEqual(memory.arenaBytes + memory.weightBytes + memory.optimizerBytes + memory.scratchBytes);

    expect(report.overhead!.rounds).toBe(4);
    expect(report.overhead!.offStepMs).toBeGreaterThan(0);
    expect(report.peak!.cached).toBe(false);
    expect(report.peak!.gflops).toBeGreaterThan(0);
    const again = await machinePeak({ configDir: peakDir });
    expect(again).toEqual({ ...report.peak, cached: true });
  });

  it('profiles with fewer samples than the steps need by going over them again, and says when data does not fit', async () => {
    const report = await profileRun({ model: cnnDoc, training, data: digits(64), steps: 5, windows: 1, overhead: false, peak: false });
    expect(report.steps).toBe(6);  // 2 batches, 3 times
    expect(report.overhead).toBeUndefined();
    expect(report.peak).toBeUndefined();
    const wrong = { x: [{ shape: [64, 28, 28, 3], data: new Float32Array(64 * 28 * 28 * 3) }], y: [new Int32Array(64)] };
    await expect(profileRun({ model: cnnDoc, training, data: wrong, steps: 2, peak: false })).rejects.toThrow(/the x array for input 'image' has shape \(64, 28, 28, 3\)/);
  });

  it('profiles on the CPU threads the training settings give', async () => {
    for (const cpuThreads of [1, 3]) {
      const report = await profileRun({ model: cnnDoc, training: { ...training, device: 'cpu', cpuThreads }, data: digits(64), steps: 3, windows: 1, overhead: false, peak: false });
      expect(report.timeline!.threads).toBe(cpuThreads);
    }
  });
});

describe('ProfileService', () => {
  const service = new ProfileService(dir, join(dir, 'config'));

  it('answers a profile of the editor\'s model on a dataset', async () => {
    const report = await service.profile({ model: cnnDoc, training, dataset: 'sample:mnist', steps: 4 });
    expect(report.format).toBe('kiln-profile');
    expect(report.steps).toBeGreaterThanOrEqual(4);
    expect(report.layers.map((l) => l.name)).toEqual(['conv1', 'pool', 'flat', 'fc1', 'out', MODEL_ROW]);
  });

  it('refuses bad requests in the engine\'s error codes', async () => {
    await expect(service.profile({ model: cnnDoc, training, dataset: 'sample:nope' })).rejects.toMatchObject({ code: EngineErrorCode.unknownDataset });
    await expect(service.profile({ model: cnnDoc, training, dataset: 'sample:mnist', steps: 0 })).rejects.toMatchObject({ code: EngineErrorCode.invalidConfig, message: expect.stringContaining('whole number from 1') });
    const broken = { ...cnnDoc, edges: cnnDoc.edges.slice(1) };
    await expect(service.profile({ model: broken, training, dataset: 'sample:mnist' })).rejects.toMatchObject({ code: EngineErrorCode.invalidModel });
  });
});

describe('a live profile of a studio run', () => {
  it('profiles the next N steps of the running run while it trains, and fails when the run ends first', async () => {
    const s = studio(join(dir, 'live'));
    const service = new ProfileService(dir, join(dir, 'config'), s.engine.launcher);
    const started = await s.engine.startRun({ model: defaultModel(), config: irisConfig(5000) });
    const report = await service.profileLiveRun({ run: started.run, steps: 20 });
    expect(report.run).toBe(started.run);
    expect(report.steps).toBe(20);
    expect(report.batchSize).toBe(16);
    expect(report.windows).toHaveLength(1);
    expect(report.ops.length).toBeGreaterThan(0);
    expect(report.ops.every((o) => o.calls === 20)).toBe(true);
    expect(report.overhead).toBeUndefined();
    // Whole batches only: 20 of them span at least 22 of the run's steps (7 whole and a short one an epoch).
    const first = report.windows[0].firstStep;
    expect(report.timeline!.step).toBeGreaterThanOrEqual(first + 21);
    expect(report.windows[0].lastStep).toBe(report.timeline!.step);
    expect(report.memory.measured!.weightBytes).toBe(report.memory.paramBytes);
    expect(report.layers.map((l) => l.name)).toEqual(['dense_1', 'dense_2', MODEL_ROW]);

    // Again, later in the same run.
    const again = await service.profileLiveRun({ run: started.run, steps: 5 });
    expect(again.windows[0].firstStep).toBeGreaterThan(report.timeline!.step);

    const long = service.profileLiveRun({ run: started.run, steps: 10_000 });
    await expect(service.profileLiveRun({ run: started.run, steps: 5 })).rejects.toMatchObject({ code: ProfileErrorCode.busy });
    await s.engine.stopRun({ runId: started.runId });
    await expect(long).rejects.toMatchObject({ code: ProfileErrorCode.failed, message: 'the run ended before 10000 steps could be profiled: profile fewer steps, or a longer run' });
    await s.ended(started.runId);
    await expect(service.profileLiveRun({ run: started.run })).rejects.toMatchObject({ code: EngineErrorCode.unknownRun });
    await expect(service.profileLiveRun({ run: started.run, steps: 0 })).rejects.toMatchObject({ code: EngineErrorCode.invalidConfig });
  }, 60_000);
});

describe('kiln profile', () => {
  it('profiles a project on its data and writes the trace and the CSV', async () => {
    const project = join(dir, 'cnn.kiln.json');
    writeFileSync(project, JSON.stringify({ format: 'kiln-project', version: 2, model: cnnDoc, training, data: 'sample:mnist' }));
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await profile([project, '--steps', '4', '--out', join(dir, 'trace.json'), '--csv', join(dir, 'tables.csv')])).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(/^Step: [\d.]+ ms \([\d,]+ samples\/s\), the mean of \d+ steps of batch 32 on the cpu backend/);
      expect(text).toContain("Dense 'fc1'");
      expect(text).toContain('Findings');
      expect(nestingProblems(JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')))).toEqual([]);
      const rows = splitCsvRows(readFileSync(join(dir, 'tables.csv'), 'utf8')).map((row) => row.cells);
      expect(rows.filter((r) => r[0] === 'layer').map((r) => r[1])).toEqual(['conv1', 'pool', 'flat', 'fc1', 'out', MODEL_ROW]);

      out.length = 0;
      expect(await profile([project, '--steps', '2', '--json'])).toBe(0);
      expect(JSON.parse(out.join('\n')).format).toBe('kiln-profile');
      await expect(profile([])).rejects.toMatchObject({ message: 'profile needs a PROJECT or a RUN', usage: PROFILE_USAGE });
      await expect(profile([project, '--steps', 'x'])).rejects.toMatchObject({ message: '--steps must be a whole number of at least 1, got "x"' });
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});
