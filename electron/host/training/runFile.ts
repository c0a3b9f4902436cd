/**
 * run.json, the record Kiln keeps beside a run's event files: what was trained on what, how it
 * went, and where its checkpoints are. Version 2 (TensorFlow checkpoints, event files, crash
 * detection) added fields only; version 1 runs (checkpoints as .weights.npz) are still read.
 */
import type { ModelDoc, TrainingConfig } from '../../../common/model/index.js';
import type { EpochLogs } from './callbacks.js';
import type { DataOptions } from './dataSpec.js';

export const RUN_FILE_VERSION = 2;

/** What run.json stores; 'crashed' is written by the run store when a running run's process is gone. */
export type RunFileStatus = 'running' | 'completed' | 'stopped' | 'failed' | 'crashed';

export interface BestInfo {
  monitor: string;
  mode: 'min' | 'max';
  value: number;
  /** From 1. */
  epoch: number;
}

export type RunSplit = 'train' | 'validation' | '';

export interface RunFile {
  format: 'kiln-run';
  version: number;
  /** The folder's name when the run started. */
  name: string;
  /** The name the user gave it since (the runs list shows this). */
  displayName?: string;
  /** The user's notes on the run. */
  userNotes?: string;
  status: RunFileStatus;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  /** The process writing the run, to tell a crashed run (its process gone) from a running one. */
  pid?: number;
  host?: string;
  project?: string;
  /** The data spec as given, read from `dataBaseDir` with `dataOptions` (so the run's data can be read again). */
  data?: string;
  dataBaseDir?: string;
  dataOptions?: DataOptions;
  classNames?: string[];
  model: ModelDoc;
  training: TrainingConfig;
  samples: { train: number; validation: number; test?: number };
  /** What the run trained on (electron/host/training/fingerprint.ts), before the validation split. */
  dataFingerprint: string;
  /** Per epoch: seconds the steps waited for their batches. */
  dataWaitSeconds: number[];
  epochs: number;
  epochsDone: number;
  /** Steps done, counted from the run's first step (a resumed run counts on from its origin's). */
  steps: number;
  stepsPerEpoch?: number;
  /** A run resumed from another run's checkpoint: epochs before `epoch` were trained there. */
  resumedFrom?: { run: string; checkpoint: string; epoch: number; step: number };
  history: (EpochLogs & { epoch: number })[];
  final?: EpochLogs;
  best?: BestInfo;
  stoppedEarly?: { epoch: number; restoredEpoch?: number };
  test?: EpochLogs;
  /** Checkpoint prefixes relative to the run folder (`checkpoints/last/ckpt-7`); version 1: .weights.npz files. */
  checkpoints: { last?: string; best?: string; final?: string };
  /** The scalar tags of the run's event files and the splits (folders) that hold them. */
  tags?: { tag: string; splits: RunSplit[] }[];
  has?: { histograms: boolean; confusion: boolean; misclassified: boolean };
  /** The per-epoch confusion matrix's cost: validation samples predicted, and seconds per epoch. */
  confusion?: { samples: number; seconds: number[] };
  /** Warnings training printed (a monitor missing, a layer left unadapted, ...). */
  notes: string[];
  error?: string;
}
