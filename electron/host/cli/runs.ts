/** `kiln runs`: the runs in a log folder, with status and final metrics. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runStatus } from '../runs/runStatus.js';
import { readRun } from '../training/readRun.js';
import type { RunFile } from '../training/runFile.js';
import { formatLogs, parseCommand, UsageError } from './shared.js';

export const RUNS_USAGE = `Usage: kiln runs LOGDIR [--json]

Lists the run folders in LOGDIR (as kiln train writes them) with their status, epochs and final
metrics, oldest first. A run still marked running whose process has ended is shown as crashed.

Options:
  --json       print one JSON array of runs
  -h, --help   show this text`;

export async function runs(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { json: { type: 'boolean' } }, RUNS_USAGE, 1);
  if (!parsed) return 0;
  const [arg] = parsed.positionals;
  if (arg === undefined) throw new UsageError('runs needs a LOGDIR', RUNS_USAGE);
  const logdir = resolve(arg);
  if (!existsSync(logdir) || !statSync(logdir).isDirectory()) throw new Error(`${arg} is not a folder`);
  const found: { dir: string; run: RunFile }[] = [];
  const unreadable: string[] = [];
  for (const entry of readdirSync(logdir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !existsSync(join(logdir, entry.name, 'run.json'))) continue;
    try {
      const run = readRun(join(logdir, entry.name));
      found.push({ dir: join(logdir, entry.name), run: { ...run, status: runStatus(run) } });
    } catch (err) {
      unreadable.push((err as Error).message);
    }
  }
  found.sort((a, b) => a.run.createdAt.localeCompare(b.run.createdAt) || a.run.name.localeCompare(b.run.name));
  if (parsed.values.json) {
    console.log(JSON.stringify(found.map(({ dir, run }) => ({
      name: run.name, ...(run.displayName ? { displayName: run.displayName } : {}), dir, status: run.status, epochsDone: run.epochsDone, epochs: run.epochs, createdAt: run.createdAt,
      ...(run.endedAt ? { endedAt: run.endedAt } : {}), ...(run.final ? { final: run.final } : {}), ...(run.best ? { best: run.best } : {}),
      ...(run.test ? { test: run.test } : {}), ...(run.error ? { error: run.error } : {}),
    }))));
  } else if (found.length === 0) {
    console.log(`No runs in ${logdir}`);
  } else {
    const rows = found.map(({ run }) => [run.displayName ? `${run.name} (${run.displayName})` : run.name, run.status, `${run.epochsDone}/${run.epochs}`, run.createdAt.replace('T', ' ').slice(0, 19), run.final ? formatLogs(run.final) : '-']);
    const head = ['RUN', 'STATUS', 'EPOCHS', 'STARTED', 'FINAL'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
    for (const r of [head, ...rows]) console.log(r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]))).join('  '));
  }
  for (const u of unreadable) console.error(`warning: ${u}`);
  return 0;
}
