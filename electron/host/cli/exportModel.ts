/** `kiln export`: not available yet; says so, honestly, with exit status 2. */
import { parseCommand, UsageError } from './shared.js';

const FORMATS = ['savedmodel', 'onnx', 'tflite', 'tfjs', 'keras'];

export const EXPORT_USAGE = `Usage: kiln export RUN|CHECKPOINT|PROJECT --format F --out DIR

Exports a trained model. Formats: ${FORMATS.join(', ')}.
None is available in this version of Kiln yet.

Options:
  --format F   ${FORMATS.join(' | ')}
  --out DIR    the folder to write
  -h, --help   show this text`;

export async function exportModel(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { format: { type: 'string' }, out: { type: 'string' } }, EXPORT_USAGE, 1);
  if (!parsed) return 0;
  const format = parsed.values.format as string | undefined;
  if (parsed.positionals.length === 0) throw new UsageError('export needs a RUN, CHECKPOINT or PROJECT', EXPORT_USAGE);
  if (format === undefined) throw new UsageError('export needs --format F', EXPORT_USAGE);
  if (!FORMATS.includes(format.toLowerCase())) throw new UsageError(`unknown export format "${format}": choose from ${FORMATS.join(', ')}`, EXPORT_USAGE);
  throw new UsageError(`export to ${format} is not available yet: SavedModel, ONNX, TF Lite, TF.js and Keras exports arrive with the export issue`, null);
}
