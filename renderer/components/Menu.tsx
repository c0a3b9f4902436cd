import { useEffect, useRef, useState, type ReactNode } from 'react';

export interface MenuItem {
  label: string;
  /** Shown beside the label, dimmed: a shortcut or a path. */
  hint?: string;
  disabled?: boolean;
  testId?: string;
  onSelect(): void;
}

/** A button that opens a list of actions; closes on a choice, Escape or a click elsewhere. */
export function Menu({ label, items, testId, title }: { label: ReactNode; items: (MenuItem | 'separator')[]; testId?: string; title?: string }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !root.current?.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('mousedown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('mousedown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);
  return (
    <div className="menu" ref={root}>
      <button type="button" className="button button-quiet" aria-haspopup="menu" aria-expanded={open} data-testid={testId} title={title} onClick={() => setOpen(!open)}>
        {label}
      </button>
      {open && (
        <ul className="menu-list" role="menu">
          {items.map((item, i) =>
            item === 'separator' ? (
              <li key={`sep-${i}`} className="menu-separator" role="separator" />
            ) : (
              <li key={item.label + i} role="none">
                <button
                  type="button"
                  role="menuitem"
                  disabled={item.disabled}
                  data-testid={item.testId}
                  onClick={() => {
                    setOpen(false);
                    item.onSelect();
                  }}
                >
                  <span>{item.label}</span>
                  {item.hint && <span className="menu-hint">{item.hint}</span>}
                </button>
              </li>
            ),
          )}
        </ul>
      )}
    </div>
  );
}
