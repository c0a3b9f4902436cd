/**
 * Runs the peers (Keras on tensorflow-cpu, PyTorch) on the same workloads through
 * bench/peers/workloads.py in the project's .venv. A peer that is not installed is left out.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../appRoot.js';

export type PeerName = 'keras' | 'pytorch';
export const PEERS: PeerName[] = ['keras', 'pytorch'];

const MODULES: Record<PeerName, string> = { keras: 'tensorflow', pytorch: 'torch' };

export function pythonPath(): string {
  return join(appRoot, '.venv', 'bin', 'python');
}

/** Why a peer cannot run here, or null when it can. */
export function peerMissing(peer: PeerName): string | null {
  if (!existsSync(pythonPath())) return '.venv is missing (npm test creates it)';
  try {
    execFileSync(pythonPath(), ['-c', `import ${MODULES[peer]}`], { stdio: 'ignore', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
    return null;
  } catch {
    return `${MODULES[peer]} is not installed in .venv`;
  }
}

/** Figures per workload name, in the workload's unit. */
export function runPeer(peer: PeerName, workloads: string[], threads: number): Map<string, number> {
  const out = execFileSync(pythonPath(), [join(appRoot, 'bench', 'peers', 'workloads.py'), '--framework', peer, '--threads', String(threads), '--workloads', workloads.join(',')], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3', CUDA_VISIBLE_DEVICES: '' },
  });
  const report = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { workloads: { name: string; value: number }[] };
  return new Map(report.workloads.map((w) => [w.name, w.value]));
}
