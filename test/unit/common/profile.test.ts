// The profiler's report from engine timings: attribution of every op to a layer and phase,
// FLOPs of main compute and its gradients, the step breakdown, memory, findings and the CSV.
import { describe, expect, it } from 'vitest';
import { splitCsvRows } from '../../../common/data/csvTable.js';
import { defaultTrainingConfig, lowerModel, type ModelDoc } from '../../../common/model/index.js';
import { buildProfileReport, forwardNodeOf, LayerIndex, MODEL_ROW, phaseOf, profileCsv, PROFILE_PHASES, type PeakInfo } from '../../../common/profile/index.js';
import { BATCH, loweredCnn, opMicros, windowOf } from './profileFixture.js';

const peak: PeakInfo = { gflops: 100, sizes: [{ size: 512, gflops: 100 }], threads: 2, measuredAt: '2025-01-01T00:00:00.000Z', cached: false };

function cnnReport(waitShare = 0.2) {
  const { spec, analysis } = loweredCnn();
  return buildProfileReport({ analysis, spec, batchSize: BATCH, windows: [windowOf(1, 10, waitShare, 0.03, 2.1), windowOf(11, 10, waitShare, 0.03, 1.9)], peak, createdAt: 'now' });
}

describe('node attribution', () => {
  it('reads the phase from the names the engine gives nodes', () => {
    expect(phaseOf('conv1/conv2d+conv1/bias_add+conv1/relu')).toBe('forward');
    expect(phaseOf('pool')).toBe('forward');
    expect(phaseOf('fc1/matmul/grad/da')).toBe('backward');
    expect(phaseOf('loss/mean/grad/seed')).toBe('backward');
    expect(phaseOf('fc1/relu/grad/accumulate_1')).toBe('backward');
    expect(phaseOf('fc1/kernel/update')).toBe('optimizer');
    expect(phaseOf('bn/moving_mean/update_1')).toBe('optimizer');
    expect(phaseOf('fc1/kernel/clip/norm')).toBe('optimizer');
    expect(phaseOf('optimizer/global_norm')).toBe('optimizer');
    expect(phaseOf('loss/xent')).toBe('loss');
    expect(phaseOf('fc1/kernel/regularizer/sum')).toBe('loss');
    expect(phaseOf('fc1/kernel/regularizer/sum/grad/dx')).toBe('backward');
    expect(phaseOf('metrics/argmax')).toBe('metrics');
    // A layer named like an optimizer step is still a layer.
    expect(phaseOf('update')).toBe('forward');
    expect(forwardNodeOf('fc1/matmul/grad/da')).toBe('fc1/matmul');
    expect(forwardNodeOf('fc1/matmul+fc1/bias_add')).toBeNull();
  });

  it('finds the layer by the longest name prefix', () => {
    const index = new LayerIndex([{ id: 'a', name: 'dense', type: 'Dense' }, { id: 'b', name: 'dense_1', type: 'Dense' }]);
    expect(index.layerOf('dense_1/matmul+dense_1/bias_add')?.id).toBe('b');
    expect(index.layerOf('dense/matmul/grad/db')?.id).toBe('a');
    expect(index.layerOf('dense_1/kernel/update')?.id).toBe('b');
    expect(index.layerOf('dense_12/matmul')).toBeNull();
    expect(index.layerOf('loss/xent')).toBeNull();
  });
});

describe('buildProfileReport', () => {
  it('attributes every op to a layer or to the model, and the layer table adds up to the ops', () => {
    const r = cnnReport();
    expect(r.ops).toHaveLength(36);
    for (const op of r.ops) {
      expect(op.layer).toBeTruthy();
      if (op.layerId === null) expect(op.node).toMatch(/^(loss|metrics)\//);
    }
    expect(r.layers.map((l) => l.name)).toEqual(['conv1', 'pool', 'flat', 'fc1', 'out', MODEL_ROW]);
    const layerMs = r.layers.reduce((a, l) => a + l.totalMs, 0);
    expect(layerMs).toBeCloseTo(r.opMs, 9);
    expect(r.layers.reduce((a, l) => a + l.ops, 0)).toBe(r.ops.length);
    const fc1 = r.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.ms.forward).toBeCloseTo(2.094, 6);
    expect(fc1.ms.backward).toBeCloseTo((2 + 1 + 1288 + 736) / 1000, 6);
    expect(fc1.ms.optimizer).toBeCloseTo(0.159, 6);
    const model = r.layers.at(-1)!;
    expect(model.ms.loss + model.ms.metrics + model.ms.backward).toBeCloseTo(model.totalMs, 9);
  });

  it('splits the step into data wait, forward, backward, optimizer, loss and metrics', () => {
    const r = cnnReport(0.2);
    expect(r.steps).toBe(20);
    expect(r.opMs).toBeCloseTo(opMicros / 1000, 6);
    const b = r.breakdown;
    expect(b.dataWait + b.forward + b.backward + b.optimizer + b.lossMetrics + b.other).toBeCloseTo(r.stepMs, 9);
    expect(b.dataWait / r.stepMs).toBeCloseTo(0.2, 6);
    expect(b.other / r.stepMs).toBeCloseTo(0.03, 6);
    expect(b.forward).toBeCloseTo((919 + 327 + 11 + 2094 + 7) / 1000, 6);
    expect(r.windows.map((w) => [w.firstStep, w.steps, w.loss])).toEqual([[1, 10, 2.1], [11, 10, 1.9]]);
    expect(r.windows[0].breakdown.forward).toBeCloseTo(b.forward, 9);
    const shares = r.ops.reduce((a, o) => a + o.share, 0);
    expect(shares).toBeCloseTo(r.opMs / r.stepMs, 9);
  });

  it('gives main compute and both its gradients the layer\'s FLOPs, and achieved GFLOP/s against the peak', () => {
    const r = cnnReport();
    const { analysis } = loweredCnn();
    const flopsOf = (name: string) => analysis.order.find((o) => o.layer.name === name)!.flops * BATCH;
    const op = (node: string) => r.ops.find((o) => o.node === node)!;
    expect(flopsOf('conv1')).toBe(2 * 26 * 26 * 8 * 9 * BATCH);
    expect(op('conv1/conv2d+conv1/bias_add+conv1/relu').flops).toBe(flopsOf('conv1'));
    expect(op('conv1/conv2d/grad/dkernel').flops).toBe(flopsOf('conv1'));
    expect(op('fc1/matmul/grad/da').flops).toBe(2 * 1352 * 64 * BATCH);
    expect(op('fc1/matmul/grad/db').flops).toBe(2 * 1352 * 64 * BATCH);
    expect(op('pool').flops).toBeNull();
    expect(op('fc1/relu/grad/drelu').flops).toBeNull();
    const fwd = op('fc1/matmul+fc1/bias_add+fc1/relu');
    expect(fwd.gflops).toBeCloseTo(fwd.flops! / (2.094e-3) / 1e9, 6);
    expect(fwd.ofPeak).toBeCloseTo(fwd.gflops! / 100, 9);
    const fc1 = r.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.flops).toBe(3 * 2 * 1352 * 64 * BATCH);
    expect(fc1.gflops).toBeCloseTo(fc1.flops / ((2094 + 1288 + 736) / 1000) / 1e6, 6);
    // Bytes: a matmul reads its input and kernel and writes its output; an update reads and writes Adam's slots.
    expect(fwd.bytes).toBe(4 * (BATCH * (1352 + 64) + 1352 * 64 + 64));
    expect(op('fc1/kernel/update').bytes).toBe(4 * 1352 * 64 * 7);
  });

  it('splits a separable convolution\'s FLOPs between its depthwise and pointwise kernels', () => {
    const doc: ModelDoc = {
      layers: [{ id: 'in', name: 'x', type: 'Input', params: { shape: [16, 16, 8] } }, { id: 's', name: 'sep', type: 'SeparableConv2D', params: { filters: 32, kernel_size: 3 } }, { id: 'g', name: 'gap', type: 'GlobalAveragePooling2D', params: {} }, { id: 'd', name: 'out', type: 'Dense', params: { units: 3 } }],
      edges: [{ from: 'in', to: 's' }, { from: 's', to: 'g' }, { from: 'g', to: 'd' }],
    };
    const lowered = lowerModel(doc, { ...defaultTrainingConfig(), metrics: [] });
    if (!lowered.ok) throw new Error(lowered.issues[0].message);
    const rows = lowered.spec.nodes.filter((n) => n.mode !== 'infer').map((n) => ({ node: n.name, op: n.op, ns: 1000, calls: 1 }));
    const r = buildProfileReport({ analysis: lowered.analysis, spec: lowered.spec, batchSize: 4, windows: [{ firstStep: 1, steps: 1, rows, dataWaitSeconds: 0, wallSeconds: 1e-4 }] });
    const depthwise = r.ops.find((o) => o.node === 'sep/depthwise')!.flops!;
    const pointwise = r.ops.find((o) => o.node === 'sep/pointwise')!.flops!;
    const layerFlops = lowered.analysis.order.find((o) => o.layer.name === 'sep')!.flops * 4;
    expect(depthwise + pointwise).toBeCloseTo(layerFlops, 6);
    expect(pointwise / depthwise).toBeCloseTo((8 * 32) / (3 * 3 * 8), 9);
  });

  it('counts parameter, optimizer and activation memory per layer', () => {
    const r = cnnReport();
    const fc1 = r.layers.find((l) => l.name === 'fc1')!;
    expect(fc1.params).toBe(1352 * 64 + 64);
    expect(fc1.paramBytes).toBe(4 * fc1.params);
    expect(fc1.optimizerBytes).toBe(2 * 4 * fc1.params);  // Adam: m and v
    expect(fc1.activationBytes).toBe(4 * 64 * BATCH);
    expect(r.layers.find((l) => l.name === 'conv1')!.activationBytes).toBe(4 * 26 * 26 * 8 * BATCH);
    expect(r.memory.paramBytes).toBe(r.layers.reduce((a, l) => a + l.paramBytes, 0));
  });

  it('says in plain words where the time goes and what to try', () => {
    const r = cnnReport(0.2);
    const texts = r.findings.map((f) => f.text);
    expect(texts.some((t) => /^\d+% of the step is Dense 'fc1' forward$/.test(t))).toBe(true);
    expect(texts).toContain('the step waits 20% on data: raise prefetch or use fewer augmentations (or cache decoded images) so batches are ready in time');
    expect(texts.find((t) => t.startsWith("Dense 'fc1' holds"))).toMatch(/^Dense 'fc1' holds 99% of the parameters \(86,592 of 87,322\)/);
    const roofline = r.findings.filter((f) => f.kind === 'roofline');
    expect(roofline[0].text).toMatch(/^Dense 'fc1' forward \(matmul\) runs at \d+\.\d GFLOP\/s, \d+% of this machine's measured peak of 100 GFLOP\/s/);
    expect(roofline[0].layerId).toBe('d1');
    for (let i = 1; i < r.findings.length; i++) expect(r.findings[i - 1].share).toBeGreaterThanOrEqual(r.findings[i].share);
    expect(cnnReport(0.01).findings.some((f) => f.kind === 'data')).toBe(false);
  });

  it('refuses a profile of no steps', () => {
    const { spec, analysis } = loweredCnn();
    expect(() => buildProfileReport({ analysis, spec, batchSize: BATCH, windows: [] })).toThrow('profile at least one training step');
  });
});

describe('profileCsv', () => {
  it('writes the step, op and layer tables into one CSV a spreadsheet reads', () => {
    const r = cnnReport();
    const [head, ...body] = splitCsvRows(profileCsv(r)).map((row) => row.cells);
    const table = { header: head, rows: body };
    expect(table.header.slice(0, 8)).toEqual(['table', 'name', 'op', 'layer', 'layer_type', 'phase', 'ms_per_step', 'share']);
    expect(table.header).toEqual(expect.arrayContaining(PROFILE_PHASES.map((p) => `${p}_ms`)));
    const of = (t: string) => table.rows.filter((row) => row[0] === t);
    expect(of('step')).toHaveLength(7);
    expect(of('op')).toHaveLength(r.ops.length);
    expect(of('layer').map((row) => row[1])).toEqual(r.layers.map((l) => l.name));
    const fused = of('op').find((row) => row[1].startsWith('conv1/conv2d+'))!;
    expect(fused.slice(2, 6)).toEqual(['conv2d', 'conv1', 'Conv2D', 'forward']);
    expect(Number(fused[6])).toBeCloseTo(0.919, 5);
    expect(of('memory')).toEqual([]);
  });

  it('adds the memory the engine measured, beside the estimates', () => {
    const { spec, analysis } = loweredCnn();
    const memory = { arenaBytes: 3_000_000, weightBytes: 500_000, optimizerBytes: 1_000_000, scratchBytes: 250_000, batchBytes: 200_000, plansBytes: 3_500_000, peakBytes: 5_450_000 };
    const r = buildProfileReport({ analysis, spec, batchSize: BATCH, windows: [windowOf(1, 10, 0.1)], memory, createdAt: 'now' });
    expect(r.memory.measured).toEqual(memory);
    expect(r.memory.paramBytes).toBe(cnnReport().memory.paramBytes);
    const rows = splitCsvRows(profileCsv(r)).map((row) => row.cells);
    const bytes = rows[0].indexOf('bytes');
    expect(rows.filter((row) => row[0] === 'memory').map((row) => [row[1], Number(row[bytes])])).toEqual([
      ['peak', 5_450_000], ['step arena', 3_000_000], ['weights', 500_000], ['optimizer state', 1_000_000], ['kernel scratch', 250_000], ['batches', 200_000], ['other plans', 500_000],
    ]);
  });
});
