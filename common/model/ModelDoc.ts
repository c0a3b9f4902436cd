/**
 * The editor's document: layers with Keras's class and parameter names, and the edges between
 * them. The same shape is stored in project files and sent to the engine host.
 */

export type Activation = 'linear' | 'relu' | 'softmax';

export interface InputLayerDoc {
  id: string;
  name: string;
  type: 'Input';
  /** Keras's `shape`: the sample shape without the batch dimension. */
  params: { shape: number[] };
}

export interface DenseLayerDoc {
  id: string;
  name: string;
  type: 'Dense';
  params: { units: number; activation: Activation; use_bias: boolean };
}

export type LayerDoc = InputLayerDoc | DenseLayerDoc;
export type LayerType = LayerDoc['type'];

export interface EdgeDoc {
  from: string;
  to: string;
}

export interface ModelDoc {
  layers: LayerDoc[];
  edges: EdgeDoc[];
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
