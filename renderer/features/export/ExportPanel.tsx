import { useEffect, useMemo, useState } from 'react';
import { ExportErrorCode, type ExportFormatInfo, type ExportOutcome, type IExportService, type RunSummary } from '../../../common/contract/index.js';
import { createProxy } from '../../../common/rpc/index.js';
import { useServices } from '../../AppServices.js';

type Problems = Record<string, { layer: string; reason: string }[]>;

function errorText(err: unknown): { code?: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null;
  return { ...(typeof e?.code === 'string' ? { code: e.code } : {}), message: typeof e?.message === 'string' ? e.message : String(err) };
}

/** What the parity check found, in a line per consumer. */
function ParityLines({ outcome }: { outcome: ExportOutcome }) {
  return (
    <ul className="parity" data-testid="export-parity">
      {outcome.parity.checks.map((c) => (
        <li key={c.consumer} className={!c.ran ? 'muted' : c.ok ? 'ok' : 'bad'}>
          <b>{c.consumer}</b>{' '}
          {!c.ran
            ? `not run: ${c.reason}`
            : c.outputs
              ? c.outputs.map((o) => `${o.name}: max abs ${o.maxAbsDiff.toExponential(1)}, max rel ${o.maxRelDiff.toExponential(1)}`).join('; ') + (c.ok ? ' — agrees with Kiln' : ' — DIFFERS from Kiln')
              : `failed: ${c.reason}`}
        </li>
      ))}
    </ul>
  );
}

/**
 * Exports a run's trained model: each format says up front which layers it cannot express; the
 * export is written all or nothing, then run by the consumers at hand against Kiln's predictions.
 */
export function ExportPanel({ run }: { run: RunSummary }) {
  const { host } = useServices();
  const api = useMemo(() => createProxy<IExportService>(host), [host]);
  const [formats, setFormats] = useState<ExportFormatInfo[]>([]);
  const [problems, setProblems] = useState<Problems>({});
  const [format, setFormat] = useState('savedmodel');
  const [out, setOut] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ExportOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void Promise.all([api.exportFormats(), api.exportCompatibility({ run: run.id })]).then(
      ([f, p]) => live && (setFormats(f), setProblems(p)),
      (err: unknown) => live && setError(errorText(err).message),
    );
    return () => {
      live = false;
    };
  }, [api, run.id]);
  const blocked = problems[format] ?? [];
  const go = async (replace: boolean) => {
    setBusy(true);
    setError(null);
    setOutcome(null);
    try {
      setOutcome(await api.exportRun({ run: run.id, format, out: out.trim(), replace }));
    } catch (err) {
      const e = errorText(err);
      if (e.code === ExportErrorCode.exists && window.confirm(`${e.message}\n\nReplace it?`)) {
        await go(true);
        return;
      }
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="export-panel" data-testid="export-panel" aria-label="Export">
      <div className="export-row">
        <select data-testid="export-format" value={format} onChange={(e) => setFormat(e.target.value)}>
          {formats.map((f) => (
            <option key={f.id} value={f.id}>
              {f.label}
              {(problems[f.id] ?? []).length > 0 ? ' (cannot express this model)' : ''}
            </option>
          ))}
        </select>
        <input className="text-field mono" data-testid="export-out" placeholder="folder to write, e.g. /home/me/models/flowers" value={out} spellCheck={false} onChange={(e) => setOut(e.target.value)} />
        <button type="button" className="button button-primary" data-testid="export-go" disabled={busy || blocked.length > 0 || out.trim() === '' || run.status === 'running'} onClick={() => void go(false)}>
          {busy ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {blocked.length > 0 && (
        <ul className="form-problems" data-testid="export-blocked">
          {blocked.map((b) => (
            <li key={b.layer + b.reason}>{b.reason}</li>
          ))}
        </ul>
      )}
      {error && <div className="data-error" role="alert">{error}</div>}
      {outcome && (
        <div data-testid="export-outcome">
          <div>
            Wrote {outcome.files.length} files to <span className="mono">{outcome.out}</span>; parity on {outcome.parity.data}:
          </div>
          <ParityLines outcome={outcome} />
        </div>
      )}
    </section>
  );
}
