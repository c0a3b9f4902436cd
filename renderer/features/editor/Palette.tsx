import { useMemo, useState, type DragEvent } from 'react';
import { LAYERS, type LayerCategory, type LayerDef } from '../../../common/model/index.js';

/** The drag payload's type: the Keras class name of the layer being placed. */
export const LAYER_DRAG_TYPE = 'application/x-kiln-layer';
/** The drag payload's type: the name of a saved block being placed. */
export const BLOCK_DRAG_TYPE = 'application/x-kiln-block';

/** The palette's groups, in the order. */
const CATEGORIES: LayerCategory[] = ['Core', 'Convolution', 'Pooling', 'Normalization', 'Regularization', 'Merge', 'Reshape', 'Activation', 'Preprocessing'];

function matches(def: LayerDef, query: string): boolean {
  if (query === '') return true;
  const q = query.toLowerCase();
  return def.type.toLowerCase().includes(q) || def.category.toLowerCase().includes(q) || def.description.toLowerCase().includes(q);
}

/**
 * Every layer in the catalogue, grouped and searchable. Drag one onto the canvas (or onto an edge
 * to insert it there); double-click or Enter adds it below the selection.
 */
export function Palette({ onAdd, blocks, onInsertBlock }: { onAdd(type: string): void; blocks: readonly string[]; onInsertBlock(name: string): void }) {
  const [query, setQuery] = useState('');
  const groups = useMemo(() => {
    const defs = [...LAYERS.values()].filter((d) => matches(d, query.trim()));
    return CATEGORIES.map((c) => ({ category: c, defs: defs.filter((d) => d.category === c) })).filter((g) => g.defs.length > 0);
  }, [query]);
  const onDragStart = (event: DragEvent, type: string) => {
    event.dataTransfer.setData(LAYER_DRAG_TYPE, type);
    event.dataTransfer.setData('text/plain', type);
    event.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <nav className="palette" aria-label="Layers" data-testid="palette">
      <input
        className="text-field palette-search"
        type="search"
        placeholder="Search layers"
        aria-label="Search layers"
        data-testid="palette-search"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          const first = groups[0]?.defs[0];
          if (e.key === 'Enter' && first) onAdd(first.type);
        }}
      />
      <div className="palette-groups">
        {groups.map((g) => (
          <section key={g.category} className="palette-group">
            <h3>{g.category}</h3>
            {g.defs.map((d) => (
              <div
                key={d.type}
                className="palette-item"
                role="button"
                tabIndex={0}
                draggable
                title={d.description}
                data-testid={`palette-${d.type}`}
                onDragStart={(e) => onDragStart(e, d.type)}
                onDoubleClick={() => onAdd(d.type)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') onAdd(d.type);
                }}
              >
                {d.type}
              </div>
            ))}
          </section>
        ))}
        {groups.length === 0 && <div className="muted palette-empty">No layer matches “{query}”.</div>}
        {blocks.length > 0 && (
          <section className="palette-group">
            <h3>Blocks</h3>
            {blocks.map((name) => (
              <div
                key={name}
                className="palette-item palette-block"
                role="button"
                tabIndex={0}
                draggable
                title={`Insert a copy of the block '${name}'`}
                data-testid={`palette-block-${name}`}
                onDragStart={(e) => {
                  e.dataTransfer.setData(BLOCK_DRAG_TYPE, name);
                  e.dataTransfer.effectAllowed = 'copy';
                }}
                onDoubleClick={() => onInsertBlock(name)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') onInsertBlock(name);
                }}
              >
                {name}
              </div>
            ))}
          </section>
        )}
      </div>
    </nav>
  );
}
