/**
 * The editor's document: layers with Keras's class and parameter names, and the edges between
 * them. The same shape is stored in project files and sent to the engine host. Any DAG: several
 * Input layers and outputs, skip connections, layers read by several others.
 */

/** A parameter value as stored: Keras's config values (numbers, strings, booleans, tuples, null). */
export type ParamValue = number | string | boolean | null | ParamValue[] | { [key: string]: ParamValue };

export interface LayerDoc {
  id: string;
  /** Unique in the model; weights are named `<name>/kernel` etc., as in Keras. */
  name: string;
  /** The Keras class name: Dense, Conv2D, ... (see common/model/layers). */
  type: string;
  /** Keras parameter names; absent ones take Keras's defaults. */
  params: Record<string, ParamValue>;
}

export interface EdgeDoc {
  from: string;
  to: string;
  /** Which input of `to` (merge layers read several, in order; default 0). */
  index?: number;
}

export interface ModelDoc {
  layers: LayerDoc[];
  edges: EdgeDoc[];
  /** The model's outputs, in order (layer ids); default: every layer that no other layer reads. */
  outputs?: string[];
  /** Where the editor draws the layers and how it groups them; the engine never reads it. */
  layout?: LayoutDoc;
}

/** A point on the editor's canvas (a layer's top-left corner). */
export interface Point {
  x: number;
  y: number;
}

/** A named set of layers drawn as one block (a residual block, ...), possibly collapsed. */
export interface GroupDoc {
  id: string;
  name: string;
  layerIds: string[];
  collapsed: boolean;
}

export interface LayoutDoc {
  /** Canvas position per layer id; layers without one are placed by auto-layout. */
  positions?: Record<string, Point>;
  groups?: GroupDoc[];
}

/** A tensor shape with Keras's `None` (null) batch dimension first. */
export type Shape = (number | null)[];

export function formatShape(shape: Shape): string {
  const dims = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${dims.join(', ')}${dims.length === 1 ? ',' : ''})`;
}

/** The starter model: Iris's 4 features -> 16 hidden units -> 3 classes. */
export function defaultModel(): ModelDoc {
  return {
    layers: [
      { id: 'input', name: 'input', type: 'Input', params: { shape: [4] } },
      { id: 'dense_1', name: 'dense_1', type: 'Dense', params: { units: 16, activation: 'relu', use_bias: true } },
      { id: 'dense_2', name: 'dense_2', type: 'Dense', params: { units: 3, activation: 'softmax', use_bias: true } },
    ],
    edges: [
      { from: 'input', to: 'dense_1' },
      { from: 'dense_1', to: 'dense_2' },
    ],
  };
}
