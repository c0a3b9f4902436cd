/** The export service: a run's trained model written in another format, checked by its consumer. */

export interface ExportFormatInfo {
  id: string;
  label: string;
}

export interface ParityCheckInfo {
  consumer: string;
  ran: boolean;
  ok?: boolean;
  reason?: string;
  outputs?: { name: string; maxAbsDiff: number; maxRelDiff: number }[];
}

export interface ExportOutcome {
  out: string;
  format: string;
  files: string[];
  parity: { data: string; batch: number; tolerance: number; checks: ParityCheckInfo[] };
}

export interface IExportService {
  exportFormats(): Promise<ExportFormatInfo[]>;
  /** Per format, the layers of the run's model it cannot express (empty: it can be exported). */
  exportCompatibility(params: { run: string }): Promise<Record<string, { layer: string; reason: string }[]>>;
  /** Writes the run's final weights as `format` into `out` (refused when it exists, unless `replace`). */
  exportRun(params: { run: string; format: string; out: string; replace?: boolean }): Promise<ExportOutcome>;
}

/** Error codes of the export service. */
export const ExportErrorCode = {
  exists: 'EXPORT_EXISTS',
  refused: 'EXPORT_REFUSED',
} as const;
