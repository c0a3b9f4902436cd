/** Keras-style layer names (conv2d, conv2d_1, ...) and fresh ids that clash with nothing in the model. */
import type { ModelDoc } from '../../../common/model/index.js';

/** Keras's `to_snake_case` of a class name: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d, ReLU -> re_lu. */
export function snakeCase(type: string): string {
  return type
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** `base` if free, else the first free `base_1`, `base_2`, ...; claims it in `taken`. */
export function claimName(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 1; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

/** The name without Keras's numeric suffix, so a copy of conv2d_3 is named conv2d_4 (or the first free). */
export function baseName(name: string): string {
  return name.replace(/_\d+$/, '') || name;
}

/** Hands out names and ids for new layers: names unique among names, ids unique among ids. */
export class LayerNamer {
  private readonly names: Set<string>;
  private readonly ids: Set<string>;

  constructor(doc: ModelDoc) {
    this.names = new Set(doc.layers.map((l) => l.name));
    this.ids = new Set(doc.layers.map((l) => l.id));
  }

  /** The id is the name where that id is free, as in the starter model. */
  next(base: string): { id: string; name: string } {
    const name = claimName(base, this.names);
    return { id: claimName(name, this.ids), name };
  }
}
