/**
 * Runs an export in its real consumer through Python when one with the consumer's package is at
 * hand (KILN_PYTHON, the project's .venv, or python3 on the PATH); the app never needs Python, and
 * says which consumers it could not run and why.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../appRoot.js';

export interface ConsumerInputs {
  [name: string]: { shape: number[]; dtype: 'float32' | 'int32'; data: number[] };
}

export interface ConsumerResult {
  consumer: string;
  outputs: Record<string, { shape: number[]; data: number[] }>;
}

// Python reads real files: in the packaged app the script is unpacked beside the archive.
const SCRIPT = join(appRoot.replace(/app\.asar$/, 'app.asar.unpacked'), 'electron', 'host', 'export', 'consumers.py');
/** The Python module each format's consumer needs. */
export const PYTHON_MODULE: Record<string, string> = { savedmodel: 'tensorflow', tflite: 'tensorflow', keras: 'keras', onnx: 'onnxruntime' };

const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' };

/** A Python that imports `module`, or why there is none. */
export function findPython(module: string): { python: string } | { missing: string } {
  const candidates = [process.env.KILN_PYTHON, join(appRoot, '.venv', 'bin', 'python'), 'python3'].filter((p): p is string => !!p && (p === 'python3' || existsSync(p)));
  for (const python of candidates) {
    try {
      execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore', env, timeout: 60_000 });
      return { python };
    } catch {
      // Not this one.
    }
  }
  return { missing: `no Python with ${module} was found (set KILN_PYTHON to one)` };
}

/** Runs `format`'s consumer on the artefact at `path`; throws with the consumer's own message. */
export function runPythonConsumer(python: string, format: string, path: string, inputs: ConsumerInputs): ConsumerResult {
  const run = spawnSync(python, [SCRIPT], { input: JSON.stringify({ format, path, inputs }), encoding: 'utf8', env, maxBuffer: 512 * 1024 * 1024, timeout: 300_000 });
  if (run.error) throw run.error;
  const lines = run.stdout.trim().split('\n');
  let reply: ConsumerResult | { error: string };
  try {
    reply = JSON.parse(lines[lines.length - 1] ?? '') as ConsumerResult | { error: string };
  } catch {
    throw new Error(`the ${format} consumer printed no result: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  }
  if ('error' in reply) throw new Error(reply.error);
  return reply;
}
