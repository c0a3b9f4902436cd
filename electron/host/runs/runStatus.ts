/**
 * A run's status as it is, not only as run.json says: a run still 'running' whose process is
 * gone (on this machine) crashed — the engine host died, the machine lost power, the process was
 * killed — and its files hold what was flushed before. A run written on another machine keeps
 * its recorded status: its process cannot be checked from here.
 */
import { hostname } from 'node:os';
import type { RunFile, RunFileStatus } from '../training/runFile.js';

export function runStatus(run: Pick<RunFile, 'status' | 'pid' | 'host'>): RunFileStatus {
  if (run.status !== 'running' || run.pid === undefined || run.host !== hostname()) return run.status;
  return processAlive(run.pid) ? 'running' : 'crashed';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, owned by someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
