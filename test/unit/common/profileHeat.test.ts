// The editor's heat map from a profile: each layer's time or memory against the hottest layer's.
import { describe, expect, it } from 'vitest';
import { buildProfileReport } from '../../../common/profile/index.js';
import { layerHeat, layerHeatLabels } from '../../../renderer/features/profile/layerHeat.js';
import { BATCH, loweredCnn, windowOf } from './profileFixture.js';

const { spec, analysis } = loweredCnn();
const report = buildProfileReport({ analysis, spec, batchSize: BATCH, windows: [windowOf(1, 5, 0.1)], createdAt: 'now' });

describe('layerHeat', () => {
  it('gives every layer of the model a heat by time, the slowest 1', () => {
    const heat = layerHeat(report, 'time');
    expect([...heat.keys()]).toEqual(['c1', 'p1', 'f', 'd1', 'd2']);
    expect(heat.get('d1')).toBe(1);
    const fc1 = report.layers.find((l) => l.layerId === 'd1')!;
    const conv1 = report.layers.find((l) => l.layerId === 'c1')!;
    expect(heat.get('c1')).toBeCloseTo(conv1.totalMs / fc1.totalMs, 12);
    expect([...heat.values()].every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('gives a heat by memory: weights, optimizer state and activations', () => {
    const heat = layerHeat(report, 'memory');
    const bytes = (id: string) => {
      const l = report.layers.find((r) => r.layerId === id)!;
      return l.paramBytes + l.optimizerBytes + l.activationBytes;
    };
    // fc1's weights with Adam's two slots outweigh conv1's activations (26x26x8 per sample).
    expect(bytes('d1')).toBe(4 * 3 * (1352 * 64 + 64) + 4 * 64 * BATCH);
    expect(bytes('c1')).toBe(4 * 3 * 80 + 4 * 26 * 26 * 8 * BATCH);
    expect(heat.get('d1')).toBe(1);
    expect(heat.get('c1')).toBeCloseTo(bytes('c1') / bytes('d1'), 12);
  });

  it('labels each layer with the figure behind its heat', () => {
    expect(layerHeatLabels(report, 'time').get('d1')).toMatch(/^\d+\.\d\d ms · \d+%$/);
    expect(layerHeatLabels(report, 'memory').get('c1')).toBe('676.9 KiB');
  });
});
