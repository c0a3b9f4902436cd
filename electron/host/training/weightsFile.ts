import { readFileSync } from 'node:fs';
import { formatNpyShape, toFloat32 } from '../../../common/formats/npy.js';
import { parseNpz, writeNpz } from '../../../common/formats/npz.js';
import { analyzeModel, type ModelDoc } from '../../../common/model/index.js';
import { writeFileAtomic } from '../writeFileAtomic.js';

/** Weights as the engine takes them: `<layer>/<weight>` -> float32 values. */
export type Weights = Record<string, Float32Array>;

/** Every weight of a model with its shape, by engine name (Keras's weight path), or the model's problems. */
export function modelWeightShapes(model: ModelDoc): { ok: true; shapes: Map<string, number[]> } | { ok: false; problems: string[] } {
  const analysis = analyzeModel(model);
  if (analysis.issues.length > 0) return { ok: false, problems: analysis.issues.map((i) => i.message) };
  const shapes = new Map<string, number[]>();
  for (const info of analysis.order) for (const w of info.weights) shapes.set(`${info.layer.name}/${w.name}`, w.shape);
  return { ok: true, shapes };
}

/** Reads a weights .npz (keys `<layer>/<weight>`, any float or integer dtype) with each array's shape. */
export function readWeightsFile(path: string): { weights: Weights; shapes: Map<string, number[]> } {
  const arrays = parseNpz(readFileSync(path), path);
  const weights: Weights = {};
  const shapes = new Map<string, number[]>();
  for (const [key, a] of arrays) {
    weights[key] = toFloat32(a.data);
    shapes.set(key, a.shape);
  }
  return { weights, shapes };
}

/** The problems of these weights for a model with these weight shapes (missing, unknown, wrong shape). */
export function checkWeights(shapes: Map<string, number[]>, weights: Weights, given: Map<string, number[]>, source: string): string[] {
  const problems: string[] = [];
  const count = (s: number[]) => s.reduce((a, b) => a * b, 1);
  for (const [name, shape] of shapes) {
    const w = weights[name];
    if (!w) problems.push(`${source} has no weight '${name}' ${formatNpyShape(shape)}`);
    else if (given.has(name) ? given.get(name)!.join() !== shape.join() : w.length !== count(shape)) {
      problems.push(`${source}: weight '${name}' has shape ${formatNpyShape(given.get(name) ?? [w.length])} but the model needs ${formatNpyShape(shape)}`);
    }
  }
  for (const name of Object.keys(weights)) if (!shapes.has(name)) problems.push(`${source} has a weight '${name}' that the model does not have`);
  return problems;
}

/** Writes weights as a .npz (keys `<layer>/<weight>`, float32 arrays of the given shapes), atomically. */
export function writeWeightsFile(path: string, weights: Weights, shapes: Map<string, number[]> | { name: string; shape: number[] }[]): void {
  const shapeOf = shapes instanceof Map ? shapes : new Map(shapes.map((p) => [p.name, p.shape]));
  const arrays = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, data] of Object.entries(weights)) {
    const shape = shapeOf.get(name) ?? [data.length];
    arrays.set(name, { shape, data });
  }
  writeFileAtomic(path, writeNpz(arrays));
}
