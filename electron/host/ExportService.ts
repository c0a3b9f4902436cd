import { join } from 'node:path';
import { ExportErrorCode, type ExportFormatInfo, type ExportOutcome, type IExportService } from '../../common/contract/index.js';
import { analyzeModel } from '../../common/model/index.js';
import { ServiceError } from '../../common/rpc/index.js';
import { exportTrainedModel, ExportError } from './export/exportModel.js';
import { EXPORT_FORMATS, type ExportFormat, type ExportFormatId } from './export/formats.js';
import { FolderExistsError } from './export/writeFolderAtomic.js';
import { readRun } from './training/readRun.js';

/** Exports runs of the studio's logdir (`logdir()` says which one is shown now). */
export class ExportService implements IExportService {
  constructor(private readonly logdir: () => string) {}

  private runDir(run: unknown): string {
    if (typeof run !== 'string' || run === '' || run.split('/').some((p) => p === '..' || p === '')) throw new ServiceError(ExportErrorCode.refused, `"${String(run)}" is not a run of this logdir`);
    return join(this.logdir(), run);
  }

  async exportFormats(): Promise<ExportFormatInfo[]> {
    return Object.values(EXPORT_FORMATS).map((f: ExportFormat) => ({ id: f.id, label: f.label }));
  }

  async exportCompatibility(params: { run: string }): Promise<Record<string, { layer: string; reason: string }[]>> {
    const run = readRun(this.runDir(params?.run));
    const analysis = analyzeModel(run.model);
    return Object.fromEntries(Object.values(EXPORT_FORMATS).map((f: ExportFormat) => [f.id, f.compatibility(run.model, analysis).map(({ layer, reason }) => ({ layer, reason }))]));
  }

  async exportRun(params: { run: string; format: string; out: string; replace?: boolean }): Promise<ExportOutcome> {
    const dir = this.runDir(params?.run);
    if (!(params.format in EXPORT_FORMATS)) throw new ServiceError(ExportErrorCode.refused, `unknown export format "${params.format}": choose from ${Object.keys(EXPORT_FORMATS).join(', ')}`);
    if (typeof params.out !== 'string' || params.out.trim() === '') throw new ServiceError(ExportErrorCode.refused, 'choose the folder to export to');
    try {
      return await exportTrainedModel({ source: dir, format: params.format as ExportFormatId, out: params.out, replace: params.replace === true });
    } catch (err) {
      if (err instanceof FolderExistsError) throw new ServiceError(ExportErrorCode.exists, err.message);
      if (err instanceof ExportError) throw new ServiceError(ExportErrorCode.refused, err.message);
      throw err;
    }
  }
}
