import { useEffect, useState } from 'react';
import type { DataChoices, DataSummary } from '../../../common/contract/index.js';
import { formatShape } from '../../../common/model/index.js';
import { useData, useServices } from '../../AppServices.js';
import { NumberField } from '../../components/NumberField.js';

const PATH_CHOICE = 'path';

/** Where the data comes from: a built-in sample, or a file or folder on this computer. */
function SourcePicker() {
  const { data, host } = useServices();
  const samples = useData((s) => s.samples);
  const spec = useData((s) => s.spec);
  const isSample = spec.startsWith('sample:');
  const [path, setPath] = useState(isSample ? '' : spec);
  const [mode, setMode] = useState(isSample ? spec : PATH_CHOICE);
  useEffect(() => {
    if (spec.startsWith('sample:')) setMode(spec);
  }, [spec]);
  const browse = async (kind: 'file' | 'folder') => {
    const picked = await host.pickDataPath?.(kind);
    if (picked) {
      setPath(picked);
      void data.getState().choose(picked);
    }
  };

  return (
    <div className="data-source">
      <label className="field field-wide">
        <span className="field-label">Source</span>
        <select
          data-testid="data-source"
          value={mode}
          onChange={(e) => {
            setMode(e.target.value);
            if (e.target.value !== PATH_CHOICE) void data.getState().choose(e.target.value);
          }}
        >
          {samples.map((s) => (
            <option key={s.id} value={`sample:${s.id}`}>
              Sample: {s.name}
            </option>
          ))}
          <option value={PATH_CHOICE}>A file or folder on this computer…</option>
        </select>
      </label>
      {mode === PATH_CHOICE && (
        <form
          className="data-path"
          onSubmit={(e) => {
            e.preventDefault();
            void data.getState().choose(path);
          }}
        >
          <input
            className="text-field mono"
            data-testid="data-path"
            placeholder="/path/to/data.csv, train.npz, a folder of class folders…"
            value={path}
            spellCheck={false}
            onChange={(e) => setPath(e.target.value)}
          />
          <button type="submit" className="button" data-testid="data-load" disabled={path.trim() === ''}>
            Load
          </button>
          {host.pickDataPath && (
            <>
              <button type="button" className="button" onClick={() => void browse('file')}>
                File…
              </button>
              <button type="button" className="button" onClick={() => void browse('folder')}>
                Folder…
              </button>
            </>
          )}
        </form>
      )}
    </div>
  );
}

/** A number the user commits with Enter or by leaving the field (each commit reads the data again). */
function ChoiceNumber({ label, testId, value, min, max, step, onCommit }: { label: string; testId: string; value: number; min: number; max?: number; step: number; onCommit(value: number): void }) {
  const [typed, setTyped] = useState(value);
  useEffect(() => setTyped(value), [value]);
  const commit = () => {
    if (typed !== value && Number.isFinite(typed)) onCommit(typed);
  };
  return (
    <NumberField
      label={label}
      testId={testId}
      min={min}
      max={max}
      step={step}
      value={typed}
      onValueChange={setTyped}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') commit();
      }}
    />
  );
}

/** The choices that apply to this kind of data: target column, image size and colour, validation split. */
function Choices({ summary }: { summary: DataSummary }) {
  const { data } = useServices();
  const set = (patch: DataChoices) => void data.getState().setChoices(patch);
  const { choices } = summary;
  const [height, width] = choices.imageSize ?? [0, 0];
  return (
    <div className="data-choices">
      {summary.table && summary.format === 'csv' && (
        <label className="field">
          <span className="field-label">Target</span>
          <select data-testid="data-target" value={choices.target} onChange={(e) => set({ target: e.target.value })}>
            {summary.table.columns.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {summary.format === 'image-folder' && (
        <>
          <ChoiceNumber label="Height" testId="data-image-height" min={1} step={1} value={height} onCommit={(h) => set({ imageSize: [h, width] })} />
          <ChoiceNumber label="Width" testId="data-image-width" min={1} step={1} value={width} onCommit={(w) => set({ imageSize: [height, w] })} />
          <label className="field">
            <span className="field-label">Colour</span>
            <select data-testid="data-color-mode" value={choices.colorMode} onChange={(e) => set({ colorMode: e.target.value as 'rgb' | 'grayscale' })}>
              <option value="rgb">RGB</option>
              <option value="grayscale">Grayscale</option>
            </select>
          </label>
        </>
      )}
      <ChoiceNumber label="Validation" testId="data-validation-split" min={0} max={0.9} step={0.05} value={choices.validationSplit ?? 0} onCommit={(f) => set({ validationSplit: f })} />
    </div>
  );
}

function Splits({ summary }: { summary: DataSummary }) {
  const { train, validation, test } = summary.splits;
  const parts = [
    { name: 'training', n: train },
    { name: 'validation', n: validation },
    { name: 'test', n: test },
  ].filter((p) => p.n > 0);
  return (
    <div className="data-splits" data-testid="data-splits">
      {parts.map((p) => (
        <span key={p.name} className="split-chip">
          <span className="mono">{p.n.toLocaleString('en')}</span> {p.name}
        </span>
      ))}
      <span className="muted">
        each sample {summary.inputs.map((i) => `${formatShape(i.shape)} ${i.dtype}`).join(', ')}
      </span>
    </div>
  );
}

function ClassCounts({ summary }: { summary: DataSummary }) {
  if (summary.target.kind !== 'classes') {
    const { shape } = summary.target;
    const what = shape.reduce((a, b) => a * b, 1) === 1 ? 'one number per sample' : `numbers of shape ${formatShape(shape)} per sample`;
    return <div className="muted data-target-kind">Numeric target, {what}: a regression (mean squared error).</div>;
  }
  const { classNames, counts } = summary.target;
  const max = Math.max(1, ...counts);
  const shown = classNames.slice(0, 30);
  return (
    <div className="class-counts" data-testid="class-counts">
      <div className="card-title">
        {classNames.length} classes <span className="muted">(training split)</span>
      </div>
      {shown.map((name, k) => (
        <div key={name} className="class-row" title={`${name}: ${counts[k]} samples`}>
          <span className="class-name">{name}</span>
          <span className="class-bar">
            <span style={{ width: `${((counts[k] / max) * 100).toFixed(1)}%` }} />
          </span>
          <span className="class-count mono">{counts[k]}</span>
        </div>
      ))}
      {classNames.length > shown.length && <div className="muted">and {classNames.length - shown.length} more</div>}
    </div>
  );
}

function TableHead({ table }: { table: NonNullable<DataSummary['table']> }) {
  return (
    <div className="data-table-wrap">
      <div className="card-title">
        First rows <span className="muted">of {table.rows.toLocaleString('en')}</span>
      </div>
      <table className="data-table" data-testid="data-table">
        <thead>
          <tr>
            {table.columns.map((c) => (
              <th key={c.name} className={c.role === 'target' ? 'target' : undefined} title={`${c.type}${c.missing ? `, ${c.missing} missing` : ''}${c.role === 'target' ? ', the target' : ''}`}>
                <div>{c.name}</div>
                <div className="col-type">{c.role === 'target' ? 'target · ' : ''}{c.type === 'numeric' ? 'number' : 'category'}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.head.map((row, i) => (
            <tr key={i}>
              {row.map((cell, j) => (
                <td key={j} className={table.columns[j]?.role === 'target' ? 'target mono' : 'mono'}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ImageGrid({ images }: { images: NonNullable<DataSummary['images']> }) {
  return (
    <div className="image-grid" data-testid="image-grid">
      {images.map((img, i) => (
        <figure key={i}>
          <img src={img.src} alt={img.label} />
          <figcaption>{img.label}</figcaption>
        </figure>
      ))}
    </div>
  );
}

/** The Data panel: pick a dataset and see what Kiln understood of it before training. */
export function DataPanel() {
  const status = useData((s) => s.status);
  const summary = useData((s) => s.summary);
  const error = useData((s) => s.error);
  return (
    <section className="data-panel" aria-label="Data" data-testid="data-panel" data-status={status}>
      <SourcePicker />
      {status === 'loading' && <div className="muted data-loading">Reading the data…</div>}
      {error && (
        <div className="data-error" role="alert" data-testid="data-error">
          {error}
        </div>
      )}
      {summary && (
        <>
          <div className="data-description" data-testid="data-description">
            {summary.description}
          </div>
          <Choices summary={summary} />
          <Splits summary={summary} />
          {summary.notes.length > 0 && (
            <ul className="data-notes" data-testid="data-notes">
              {summary.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          {summary.images && summary.images.length > 0 && <ImageGrid images={summary.images} />}
          {summary.table && <TableHead table={summary.table} />}
          <ClassCounts summary={summary} />
        </>
      )}
    </section>
  );
}
