/** `kiln predict`: runs a trained model on arrays from a .npy/.npz and writes its outputs. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseNpy, type NpyArray } from '../../../common/formats/npy.js';
import { parseNpz, writeNpz } from '../../../common/formats/npz.js';
import { writeNpy } from '../../../common/formats/npy.js';
import { buildNativeModel, prepareData } from '../training/runTraining.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { loadModelSource, parseCommand, UsageError } from './shared.js';

export const PREDICT_USAGE = `Usage: kiln predict RUN|CHECKPOINT|PROJECT --input X.npy|X.npz --output Y.npy|Y.npz

Runs the model (a run folder's final weights, a checkpoint .weights.npz inside a run, or the
weights a project holds) on the input arrays and writes its outputs, as Keras's model.predict().
A .npz input holds one array per model input, keyed by input layer name; a .npz output holds one
array per model output, keyed by output layer name. .npy works for one input / one output.

Options:
  --input FILE      the samples: X.npy, or X.npz keyed by input layer names
  --output FILE     where to write the predictions (.npy or .npz)
  --batch-size N    samples per batch (default 32)
  -h, --help        show this text`;

export async function predict(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { input: { type: 'string' }, output: { type: 'string' }, 'batch-size': { type: 'string' } }, PREDICT_USAGE, 1);
  if (!parsed) return 0;
  const [arg] = parsed.positionals;
  const input = parsed.values.input as string | undefined;
  const output = parsed.values.output as string | undefined;
  if (arg === undefined) throw new UsageError('predict needs a RUN, CHECKPOINT or PROJECT', PREDICT_USAGE);
  if (input === undefined || output === undefined) throw new UsageError('predict needs --input and --output', PREDICT_USAGE);
  for (const [flag, file] of [['--input', input], ['--output', output]]) {
    if (!/\.np[yz]$/i.test(file)) throw new UsageError(`${flag} must be a .npy or .npz file, got "${file}"`, PREDICT_USAGE);
  }
  const batchSize = Number(parsed.values['batch-size'] ?? 32);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UsageError(`--batch-size must be a whole number of at least 1, got "${String(parsed.values['batch-size'])}"`, PREDICT_USAGE);

  const source = loadModelSource(arg);
  if (!source.weights) throw new Error(`${arg} holds no weights: train it first (kiln train), or predict with a run`);
  const built = buildNativeModel(source.model, source.training, source.weights);
  const { analysis } = built;
  const nameOf = (id: string) => analysis.order.find((o) => o.layer.id === id)!.layer.name;
  const inputs = analysis.inputs.map(nameOf);
  const outputs = analysis.outputs.map(nameOf);

  const inPath = resolve(input);
  let arrays: NpyArray[];
  if (/\.npy$/i.test(input)) {
    if (inputs.length !== 1) throw new UsageError(`the model has ${inputs.length} inputs (${inputs.join(', ')}): give them in a .npz keyed by those names`, PREDICT_USAGE);
    arrays = [parseNpy(readFileSync(inPath), inPath)];
  } else {
    const npz = parseNpz(readFileSync(inPath), inPath);
    arrays = inputs.map((name) => {
      const a = npz.get(name) ?? (inputs.length === 1 && npz.size === 1 ? [...npz.values()][0] : undefined);
      if (!a) throw new Error(`${inPath} has no array "${name}" for input '${name}' (it has ${[...npz.keys()].map((k) => `"${k}"`).join(', ') || 'none'})`);
      return a;
    });
  }
  const data = prepareData({ x: arrays, y: [] }, built.spec, analysis, inPath, false);
  const predictions = await built.model.predict({ x: data.x }, { batchSize });
  const shapes = analysis.outputs.map((id) => [data.count, ...(analysis.shapes.get(id)!.slice(1) as number[])]);
  const outPath = resolve(output);
  if (/\.npy$/i.test(output)) {
    if (outputs.length !== 1) throw new UsageError(`the model has ${outputs.length} outputs (${outputs.join(', ')}): write them to a .npz`, PREDICT_USAGE);
    writeFileAtomic(outPath, writeNpy({ shape: shapes[0], data: predictions[0] }));
  } else {
    writeFileAtomic(outPath, writeNpz(new Map(outputs.map((name, k) => [name, { shape: shapes[k], data: predictions[k] }]))));
  }
  console.error(`Predicted ${data.count} samples with ${source.name}: ${outPath}`);
  return 0;
}
