// Test support: the engine host's services in this process (EngineService + RunsService over one
// logdir, sharing the live runs), with the events they emit.
import type { EngineEvents, RunEnd, RunsEvents, TrainConfig } from '../../../common/contract/index.js';
import { defaultTrainingConfig } from '../../../common/model/index.js';
import { EngineService } from '../../../electron/host/EngineService.js';
import { LiveRuns } from '../../../electron/host/runs/LiveRuns.js';
import { RunsService } from '../../../electron/host/RunsService.js';

type Events = EngineEvents & RunsEvents;

export interface Studio {
  engine: EngineService;
  runs: RunsService;
  live: LiveRuns;
  events: { event: keyof Events; data: unknown }[];
  /** Resolves with the run's end event. */
  ended(runId: string): Promise<RunEnd>;
  /** Calls `f` on every engine event until it returns true. */
  until(f: (event: keyof Events, data: unknown) => boolean): Promise<void>;
}

export function studio(logdir: string, options: { memoryBytes?: number } = {}): Studio {
  const events: Studio['events'] = [];
  const listeners = new Set<(event: keyof Events, data: unknown) => void>();
  const emit = <K extends keyof Events>(event: K, data: Events[K]) => {
    events.push({ event, data });
    for (const l of listeners) l(event, data);
  };
  const live = new LiveRuns();
  const engine = new EngineService(emit, { logdir, live });
  const runs = new RunsService({ launcher: engine.launcher, live, emit, ...options });
  const until = (f: (event: keyof Events, data: unknown) => boolean) => new Promise<void>((resolve) => {
    const l = (event: keyof Events, data: unknown) => {
      if (f(event, data)) {
        listeners.delete(l);
        resolve();
      }
    };
    listeners.add(l);
  });
  const ended = async (runId: string) => {
    const done = events.find((e) => e.event === 'run.didEnd' && (e.data as RunEnd).runId === runId);
    if (done) return done.data as RunEnd;
    let end: RunEnd | undefined;
    await until((event, data) => event === 'run.didEnd' && (end = data as RunEnd).runId === runId);
    return end!;
  };
  return { engine, runs, live, events, ended, until };
}

/** Iris with SGD, batches of 16 (8 steps per epoch on its 120 training samples). */
export function irisConfig(epochs: number, patch: Partial<TrainConfig['training']> = {}): TrainConfig {
  return {
    dataset: 'sample:iris',
    training: { ...defaultTrainingConfig(), optimizer: { type: 'sgd', learningRate: 0.05 }, batchSize: 16, epochs, validationSplit: 0.2, ...patch },
  };
}
