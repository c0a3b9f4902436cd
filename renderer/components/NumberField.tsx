import { useEffect, useId, useState, type InputHTMLAttributes } from 'react';

export interface NumberFieldProps extends Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'type'> {
  label?: string;
  value: number;
  /** Called on every edit with the typed number, NaN when the text is not a number. */
  onValueChange(value: number): void;
  /** Shown as invalid (red, with this text as tooltip) when set. */
  problem?: string | null;
  testId?: string;
}

function sameNumber(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function parse(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text);
}

/**
 * A number input that keeps the user's text while they type (so "0." or "" are not clobbered)
 * and follows the value when it changes from elsewhere.
 */
export function NumberField({ label, value, onValueChange, problem, testId, className, title, ...rest }: NumberFieldProps) {
  const id = useId();
  const [text, setText] = useState(() => (Number.isNaN(value) ? '' : String(value)));
  useEffect(() => {
    setText((current) => (sameNumber(parse(current), value) ? current : Number.isNaN(value) ? '' : String(value)));
  }, [value]);
  const input = (
    <input
      {...rest}
      id={id}
      type="number"
      className={['number-field', problem ? 'invalid' : '', className ?? ''].filter(Boolean).join(' ')}
      value={text}
      aria-invalid={problem ? true : undefined}
      title={problem ?? title}
      data-testid={testId}
      onChange={(event) => {
        setText(event.target.value);
        onValueChange(parse(event.target.value));
      }}
    />
  );
  if (!label) return input;
  return (
    <label className="field" htmlFor={id} title={problem ?? title}>
      <span className="field-label">{label}</span>
      {input}
    </label>
  );
}
