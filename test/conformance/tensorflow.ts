// Runs TensorFlow (from .venv, set up by scripts/setupPython.js) on op cases and returns its
// forward outputs and tf.GradientTape gradients.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const python = `${root}.venv/bin/python`;

export interface TfCase {
  op: string;
  inputs: { values: number[]; shape: number[]; dtype: string }[];
  attrs: Record<string, unknown>;
  w: number[];
}

export interface TfResult {
  shape: number[];
  y: number[];
  grads: number[][];
}

/** Why TensorBoard with TensorFlow cannot be run here, or null when they can. */
export function tensorboardMissing(): string | null {
  if (!existsSync(python)) return '.venv is missing (npm test creates it with scripts/setupPython.js)';
  try {
    execFileSync(python, ['-c', 'import tensorboard, tensorflow'], { stdio: 'ignore', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    return null;
  } catch {
    return 'tensorboard or tensorflow-cpu is not installed in .venv';
  }
}

/** Why TensorFlow cannot be run here, or null when it can. */
export function tensorflowMissing(): string | null {
  if (!existsSync(python)) return '.venv is missing (npm test creates it with scripts/setupPython.js)';
  try {
    execFileSync(python, ['-c', 'import tensorflow'], { stdio: 'ignore', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    return null;
  } catch {
    return 'tensorflow-cpu is not installed in .venv';
  }
}

export function runTensorflow(cases: TfCase[]): TfResult[] {
  const out = execFileSync(python, [`${root}test/conformance/tf_ops.py`], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as TfResult[];
}
