import { useEffect, useState } from 'react';
import { ACTIVATIONS, INITIALIZERS, formatShape, layerDef, type LayerDoc, type ParamSpec, type ParamValue } from '../../../common/model/index.js';
import { useEditor, useServices } from '../../AppServices.js';
import { formatParam, parseParam, type TextKind } from './paramText.js';

/** Applies a value through the store; returns the reason it was refused, or null. */
type Apply = (value: ParamValue) => string | null;

/** A text field that commits on Enter or blur, keeps what the user typed while it is refused, and says why. */
function TextParam({ kind, value, apply, testId, placeholder }: { kind: TextKind; value: ParamValue | undefined; apply: Apply; testId: string; placeholder: string }) {
  const shown = value === undefined ? '' : formatParam(value);
  const [text, setText] = useState(shown);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setText(shown);
    setProblem(null);
  }, [shown]);
  const commit = () => {
    if (text === shown) return setProblem(null);
    const parsed = parseParam(kind, text);
    setProblem('problem' in parsed ? parsed.problem : apply(parsed.value));
  };
  return (
    <>
      <input
        className={problem ? 'text-field mono invalid' : 'text-field mono'}
        data-testid={testId}
        value={text}
        placeholder={placeholder}
        aria-invalid={problem ? true : undefined}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') {
            setText(shown);
            setProblem(null);
          }
        }}
      />
      {problem && (
        <div className="field-problem" role="alert" data-testid={`${testId}-problem`}>
          {problem}
        </div>
      )}
    </>
  );
}

function ChoiceParam({ options, nullable, value, apply, testId }: { options: readonly string[]; nullable: boolean; value: ParamValue | undefined; apply: Apply; testId: string }) {
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <select data-testid={testId} value={value === null || value === undefined ? '' : String(value)} onChange={(e) => setProblem(apply(e.target.value === '' ? null : e.target.value))}>
        {nullable && <option value="">None</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      {problem && <div className="field-problem">{problem}</div>}
    </>
  );
}

function RegularizerParam({ value, apply, testId }: { value: ParamValue | undefined; apply: Apply; testId: string }) {
  const r = (value ?? {}) as { l1?: number; l2?: number };
  const set = (key: 'l1' | 'l2', v: ParamValue) => {
    const next: Record<string, ParamValue> = { ...r, [key]: v };
    if (v === null || v === 0) delete next[key];
    return apply(Object.keys(next).length === 0 ? null : next);
  };
  return (
    <div className="param-pair">
      <TextParam kind="float" value={r.l1 ?? null} apply={(v) => set('l1', v)} testId={`${testId}-l1`} placeholder="l1" />
      <TextParam kind="float" value={r.l2 ?? null} apply={(v) => set('l2', v)} testId={`${testId}-l2`} placeholder="l2" />
    </div>
  );
}

function ParamInput({ spec, value, apply, testId }: { spec: ParamSpec; value: ParamValue | undefined; apply: Apply; testId: string }) {
  switch (spec.kind) {
    case 'bool':
      return <input type="checkbox" data-testid={testId} checked={(value ?? spec.default) === true} onChange={(e) => apply(e.target.checked)} />;
    case 'enum':
      return <ChoiceParam options={spec.options} nullable={spec.nullable === true} value={value ?? spec.default} apply={apply} testId={testId} />;
    case 'activation':
      return <ChoiceParam options={[...ACTIVATIONS.keys()]} nullable value={value ?? spec.default} apply={apply} testId={testId} />;
    case 'initializer':
      return <ChoiceParam options={[...INITIALIZERS]} nullable={false} value={value ?? spec.default} apply={apply} testId={testId} />;
    case 'regularizer':
      return <RegularizerParam value={value} apply={apply} testId={testId} />;
    default:
      return <TextParam kind={spec.kind} value={value} apply={apply} testId={testId} placeholder={`default ${formatParam(spec.default as ParamValue)}`} />;
  }
}

/** The layer's name: unique in the model, refused with a reason otherwise. */
function NameField({ layer }: { layer: LayerDoc }) {
  const { editor } = useServices();
  const { name } = layer;
  const rename = (to: string) => editor.getState().renameLayer(layer.id, to);
  const [text, setText] = useState(name);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    setText(name);
    setProblem(null);
  }, [name]);
  const commit = () => setProblem(text === name ? null : rename(text.trim()));
  return (
    <>
      <input
        className={problem ? 'text-field mono invalid' : 'text-field mono'}
        data-testid="inspector-name"
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
      {problem && <div className="field-problem">{problem}</div>}
    </>
  );
}

/** Every parameter of the selected layer, with its Keras name, its default, and why a value is refused. */
export function Inspector() {
  const { editor } = useServices();
  const selection = useEditor((s) => s.selection);
  const model = useEditor((s) => s.model);
  const report = useEditor((s) => s.report);
  const issues = useEditor((s) => s.issuesByLayer);
  if (selection.length !== 1) {
    return (
      <section className="inspector empty" data-testid="inspector">
        <p className="muted">{selection.length === 0 ? 'Select a layer to see and edit its parameters.' : `${selection.length} layers selected.`}</p>
      </section>
    );
  }
  const layer = model.layers.find((l) => l.id === selection[0]);
  const def = layer && layerDef(layer.type);
  if (!layer || !def) return <section className="inspector empty" data-testid="inspector" />;
  const shape = report.shapes.get(layer.id);
  return (
    <section className="inspector" data-testid="inspector" aria-label={`${layer.type} ${layer.name}`}>
      <header>
        <div className="inspector-type">{layer.type}</div>
        <div className="muted">{def.description}</div>
      </header>
      <label className="param">
        <span className="param-name">name</span>
        <NameField layer={layer} />
      </label>
      <div className="param">
        <span className="param-name">output</span>
        <span className="mono">{shape ? formatShape(shape) : '—'}</span>
      </div>
      {(issues.get(layer.id) ?? []).map((i) => (
        <div key={i.message} className="field-problem">
          {i.message}
        </div>
      ))}
      {Object.entries(def.params).map(([name, spec]) => {
        const set = name in layer.params;
        return (
          <label key={name} className="param" title={set ? undefined : `Keras's default: ${formatParam(spec.default as ParamValue)}`}>
            <span className={set ? 'param-name' : 'param-name default'}>{name}</span>
            <ParamInput spec={spec} value={layer.params[name]} apply={(v) => editor.getState().setParam(layer.id, name, v)} testId={`param-${name}`} />
          </label>
        );
      })}
    </section>
  );
}
