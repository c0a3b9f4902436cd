/** `kiln summary`: a model's layers, output shapes and parameter counts, as Keras's model.summary() prints them. */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { analyzeModel, formatShape, type ModelAnalysis, type ModelDoc, type Shape } from '../../../common/model/index.js';
import { projectName } from '../../../common/project/projectFile.js';
import { importKerasFile } from '../keras/importKeras.js';
import { loadModelSource, parseCommand, UsageError } from './shared.js';

export const SUMMARY_USAGE = `Usage: kiln summary PROJECT|FILE.keras|FILE.json|RUN [--json]

Prints the model's layers as Keras's model.summary() does: Layer (type), Output Shape, Param #
(and Connected to for a model that is not a plain stack), then Total, Trainable and Non-trainable
params. FILE.keras (model.save) and FILE.json (model.to_json()) are read as Keras models.

Options:
  --json       print one JSON object instead of the table
  -h, --help   show this text`;

export interface SummaryRow {
  name: string;
  type: string;
  outputShape: Shape;
  params: number;
  trainable: number;
  nonTrainable: number;
  connectedTo: string[];
  /** Weight memory in bytes, trainable and not (Keras counts its dtypes: float32, int64 counters). */
  trainableBytes: number;
  nonTrainableBytes: number;
}

export interface ModelSummary {
  name: string;
  layers: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  nonTrainableParams: number;
  trainableBytes: number;
  nonTrainableBytes: number;
  /** Keras shows "Connected to" for functional models that are not a plain stack. */
  functional: boolean;
  issues: string[];
}

export function summarizeModel(name: string, model: ModelDoc, analysis: ModelAnalysis = analyzeModel(model)): ModelSummary {
  const byId = new Map(model.layers.map((l) => [l.id, l]));
  const readers = new Map<string, number>();
  for (const e of model.edges) readers.set(e.from, (readers.get(e.from) ?? 0) + 1);
  // Keras keeps Normalization's sample count as int64; every other weight here is float32.
  const bytes = (info: ModelAnalysis['order'][number], trainable: boolean) => info.weights.filter((w) => w.trainable === trainable)
    .reduce((a, w) => a + w.shape.reduce((p, d) => p * d, 1) * (info.layer.type === 'Normalization' && w.name === 'count' ? 8 : 4), 0);
  const layers = analysis.order.map((info): SummaryRow => ({
    name: info.layer.name,
    type: info.layer.type === 'Input' ? 'InputLayer' : info.layer.type,
    outputShape: info.shape,
    params: info.trainable + info.nonTrainable,
    trainable: info.trainable,
    nonTrainable: info.nonTrainable,
    connectedTo: info.inputs.map((id) => `${byId.get(id)?.name ?? id}[0][0]`),
    trainableBytes: bytes(info, true),
    nonTrainableBytes: bytes(info, false),
  }));
  const functional = analysis.inputs.length > 1 || analysis.outputs.length > 1
    || analysis.order.some((o) => o.inputs.length > 1 || (readers.get(o.layer.id) ?? 0) > 1);
  const trainable = layers.reduce((a, l) => a + l.trainable, 0);
  const nonTrainable = layers.reduce((a, l) => a + l.nonTrainable, 0);
  const trainableBytes = layers.reduce((a, l) => a + l.trainableBytes, 0);
  const nonTrainableBytes = layers.reduce((a, l) => a + l.nonTrainableBytes, 0);
  return {
    name, layers, totalParams: trainable + nonTrainable, trainableParams: trainable, nonTrainableParams: nonTrainable,
    trainableBytes, nonTrainableBytes, functional, issues: analysis.issues.map((i) => i.message),
  };
}

/** Keras's readable_memory_size. */
function memory(bytes: number): string {
  let size = bytes;
  for (const unit of ['B', 'KB', 'MB', 'GB', 'TB']) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} PB`;
}

const thousands = (n: number) => n.toLocaleString('en-US');

export function formatSummary(s: ModelSummary): string {
  const head = ['Layer (type)', 'Output Shape', 'Param #', ...(s.functional ? ['Connected to'] : [])];
  const rows = s.layers.map((l) => [`${l.name} (${l.type})`, formatShape(l.outputShape), thousands(l.params), ...(s.functional ? [l.connectedTo.join(', ') || '-'] : [])]);
  const mins = [31, 26, 15, 28];
  const widths = head.map((h, c) => Math.max(mins[c], h.length + 2, ...rows.map((r) => r[c].length + 2)));
  const cell = (text: string, c: number) => (c === 2 ? ` ${text.padStart(widths[c] - 2)} ` : ` ${text.padEnd(widths[c] - 2)} `);
  const line = (l: string, fill: string, m: string, r: string) => l + widths.map((w) => fill.repeat(w)).join(m) + r;
  const out = [`Model: "${s.name}"`, line('┏', '━', '┳', '┓'), `┃${head.map((h, c) => (c === 2 ? ` ${h.padStart(widths[c] - 2)} ` : cell(h, c))).join('┃')}┃`, line('┡', '━', '╇', '┩')];
  rows.forEach((r, i) => {
    out.push(`│${r.map(cell).join('│')}│`);
    out.push(i < rows.length - 1 ? line('├', '─', '┼', '┤') : line('└', '─', '┴', '┘'));
  });
  if (rows.length === 0) out.push(line('└', '─', '┴', '┘'));
  out.push(` Total params: ${thousands(s.totalParams)} (${memory(s.trainableBytes + s.nonTrainableBytes)})`);
  out.push(` Trainable params: ${thousands(s.trainableParams)} (${memory(s.trainableBytes)})`);
  out.push(` Non-trainable params: ${thousands(s.nonTrainableParams)} (${memory(s.nonTrainableBytes)})`);
  return out.join('\n');
}

/** A model file: a Kiln project or run, or a Keras .keras / to_json() file. */
export async function loadAnyModel(arg: string): Promise<{ name: string; model: ModelDoc; notes: string[] }> {
  const path = resolve(arg);
  const lower = path.toLowerCase();
  let keras = lower.endsWith('.keras');
  if (lower.endsWith('.json') && !lower.endsWith('.kiln.json')) {
    try {
      keras = (JSON.parse(readFileSync(path, 'utf8')) as { format?: unknown }).format !== 'kiln-project';
    } catch {
      keras = false;  // let the project loader explain
    }
  }
  if (keras) {
    const imported = await importKerasFile(path);
    return { name: projectName(basename(path)), model: imported.model, notes: imported.issues.map((i) => i.message) };
  }
  const source = loadModelSource(arg, 'PROJECT, FILE.keras or RUN');
  return { name: source.name, model: source.model, notes: [] };
}

export async function summary(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { json: { type: 'boolean' } }, SUMMARY_USAGE, 1);
  if (!parsed) return 0;
  const [arg] = parsed.positionals;
  if (arg === undefined) throw new UsageError('summary needs a PROJECT or FILE.keras', SUMMARY_USAGE);
  const { name, model, notes } = await loadAnyModel(arg);
  const s = summarizeModel(name, model);
  const issues = [...new Set([...notes, ...s.issues])];
  if (parsed.values.json) console.log(JSON.stringify({ ...s, issues }));
  else {
    console.log(formatSummary(s));
    if (issues.length > 0) console.error(`\nProblems:\n  ${issues.join('\n  ')}`);
  }
  return s.issues.length > 0 ? 1 : 0;
}
