// Starts a worker thread from its TypeScript source, for runs from sources (vitest), where
// there is no built out/ file to start: registers sourceWorkerHooks.mjs, then imports the entry.
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';

register('./sourceWorkerHooks.mjs', import.meta.url);
await import(workerData.entry);
