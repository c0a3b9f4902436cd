/** `kiln export`: a trained model in a format its real consumer loads, with a parity report beside it. */
import { EXPORT_FORMATS, type ExportFormatId } from '../export/formats.js';
import { exportTrainedModel, ExportError } from '../export/exportModel.js';
import { FolderExistsError } from '../export/writeFolderAtomic.js';
import { parseCommand, UsageError } from './shared.js';

const FORMATS = Object.keys(EXPORT_FORMATS) as ExportFormatId[];

export const EXPORT_USAGE = `Usage: kiln export RUN|CHECKPOINT|PROJECT --format F --out DIR [--replace] [--json]

Writes a trained model (a run folder: its final weights; one of a run's checkpoints; or a project
with weights) as F into the folder DIR, all or nothing, then runs the export in its real consumer
on a fixed batch of the model's data and compares with Kiln's predictions: DIR/parity.json.

Formats:
${FORMATS.map((f) => `  ${f.padEnd(11)} ${EXPORT_FORMATS[f].label}`).join('\n')}

Options:
  --format F   ${FORMATS.join(' | ')}
  --out DIR    the folder to write (refused when it exists, unless --replace)
  --replace    replace DIR if it exists
  --json       print the result as JSON
  -h, --help   show this text`;

export async function exportModel(args: string[]): Promise<number> {
  const parsed = parseCommand(args, { format: { type: 'string' }, out: { type: 'string' }, replace: { type: 'boolean' }, json: { type: 'boolean' } }, EXPORT_USAGE, 1);
  if (!parsed) return 0;
  const format = (parsed.values.format as string | undefined)?.toLowerCase();
  const out = parsed.values.out as string | undefined;
  if (parsed.positionals.length === 0) throw new UsageError('export needs a RUN, CHECKPOINT or PROJECT', EXPORT_USAGE);
  if (format === undefined) throw new UsageError('export needs --format F', EXPORT_USAGE);
  if (!(FORMATS as string[]).includes(format)) throw new UsageError(`unknown export format "${format}": choose from ${FORMATS.join(', ')}`, EXPORT_USAGE);
  if (out === undefined) throw new UsageError('export needs --out DIR', EXPORT_USAGE);
  let result;
  try {
    result = await exportTrainedModel({ source: parsed.positionals[0], format: format as ExportFormatId, out, replace: parsed.values.replace === true });
  } catch (err) {
    if (err instanceof ExportError || err instanceof FolderExistsError) {
      console.error(`kiln: cannot export ${parsed.positionals[0]}: ${err.message}`);
      return 1;
    }
    throw err;
  }
  if (parsed.values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(`Exported ${EXPORT_FORMATS[result.format].label} to ${result.out}`);
    console.log(`Parity on ${result.parity.data}:`);
    for (const check of result.parity.checks) {
      if (!check.ran) console.log(`  ${check.consumer}: not run (${check.reason})`);
      else if (check.outputs) for (const o of check.outputs) console.log(`  ${check.consumer}: ${o.name} max abs diff ${o.maxAbsDiff.toExponential(2)}, max rel diff ${o.maxRelDiff.toExponential(2)} ${check.ok ? 'ok' : 'NOT within tolerance'}`);
      else console.log(`  ${check.consumer}: failed: ${check.reason}`);
    }
  }
  return result.parity.checks.some((c) => c.ran && !c.ok) ? 1 : 0;
}
