/**
 * The fixed batch an export's parity is checked on: the first samples of the data the model was
 * trained on (its run's or project's data spec: test, else validation, else training split), or,
 * without data, seeded random inputs of the right shapes.
 */
import type { ModelAnalysis } from '../../../common/model/index.js';
import { RandomState } from '../../../common/data/random.js';
import { readSamples } from '../data/readSamples.js';
import { loadDataSpec } from '../training/dataSpec.js';
import type { ParityBatch } from './parity.js';

const SAMPLES = 8;

/** Random inputs: multiples of 1/1000 in [-1, 1] for floats, 0..9 for integer inputs (token ids). */
function randomBatch(analysis: ModelAnalysis): ParityBatch {
  const random = new RandomState(1);
  const inputs = analysis.inputs.map((id) => {
    const info = analysis.order.find((o) => o.layer.id === id)!;
    const n = SAMPLES * ((analysis.shapes.get(id) ?? []).slice(1) as number[]).reduce((a, b) => a * b, 1);
    return info.params.dtype === 'int32' ? Int32Array.from({ length: n }, () => random.interval(9)) : Float32Array.from({ length: n }, () => random.interval(2000) / 1000 - 1);
  });
  return { inputs, count: SAMPLES, data: `random inputs (seed 1, ${SAMPLES} samples)` };
}

/** `spec` relative paths start at `baseDir` (the project's folder, or the current one). */
export function parityBatch(analysis: ModelAnalysis, spec: string | undefined, baseDir: string): ParityBatch {
  if (!spec) return randomBatch(analysis);
  const nameOf = (id: string) => analysis.order.find((o) => o.layer.id === id)!.layer.name;
  try {
    const splits = loadDataSpec(spec, { inputs: analysis.inputs.map(nameOf), outputs: analysis.outputs.map(nameOf) }, baseDir);
    const [part, ds] = splits.datasets.test ? ['test', splits.datasets.test] : splits.datasets.validation ? ['validation', splits.datasets.validation] : ['training', splits.datasets.train];
    const count = Math.min(SAMPLES, ds.count);
    return { inputs: ds.x.map((t) => readSamples(t, 0, count)), count, data: `the first ${count} ${part} samples of ${spec}` };
  } catch {
    // The data moved or changed since training: the check still runs, on random inputs.
    return randomBatch(analysis);
  }
}
