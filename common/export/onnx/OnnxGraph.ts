/**
 * Builds an ONNX graph layer by layer: `OnnxGraph` holds the nodes (in topological order, each
 * value named once) and the initializers; `LayerScope` is what one layer's emitter sees: its
 * parameters and shapes, its trained weights, and helpers that name everything it adds
 * `<layer>/<suffix>`, so the graph reads like the model in Netron.
 */
import type { LayerInfo } from '../../model/analyzeModel.js';
import type { Params } from '../../model/layers/index.js';
import { formatShape, type Shape } from '../../model/ModelDoc.js';
import type { OnnxAttr, OnnxNode, OnnxTensor } from './onnxProto.js';

export const int = (i: number): OnnxAttr => ({ i });
export const float = (f: number): OnnxAttr => ({ f });
export const ints = (v: number[]): OnnxAttr => ({ ints: v });
export const str = (s: string): OnnxAttr => ({ s });

export class OnnxGraph {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly taken = new Set<string>();

  /** Reserves a value name; a clash is a bug in an emitter, not a user error. */
  claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`ONNX export: the value name '${name}' is used twice`);
    this.taken.add(name);
    return name;
  }

  node(op: string, name: string, inputs: string[], attrs: Record<string, OnnxAttr> = {}): string {
    this.nodes.push({ op, name, inputs, outputs: [this.claim(name)], attrs });
    return name;
  }

  floats(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name: this.claim(name), dims, data });
    return name;
  }

  int64s(name: string, values: number[]): string {
    this.initializers.push({ name: this.claim(name), dims: [values.length], data: { int64: values } });
    return name;
  }

  /**
   * Names a layer's result `name`: the node that made `value` is renamed when nothing reads it
   * yet, else (a pass-through, such as Dropout in inference) an Identity node is added.
   */
  finish(value: string, name: string): string {
    if (value === name) return name;
    const made = this.nodes.find((n) => n.outputs[0] === value);
    if (made && !this.nodes.some((n) => n.inputs.includes(value))) {
      this.taken.delete(value);
      made.outputs[0] = this.claim(name);
      made.name = name;
      return name;
    }
    return this.node('Identity', name, [value]);
  }
}

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export class LayerScope {
  constructor(
    readonly graph: OnnxGraph,
    readonly info: LayerInfo,
    /** The layers this one reads, in input order. */
    readonly inputInfos: LayerInfo[],
    private readonly weights: Record<string, Float32Array>,
  ) {}

  get name(): string { return this.info.layer.name; }
  get params(): Params { return this.info.params; }
  get inputShapes(): Shape[] { return this.inputInfos.map((i) => i.shape); }
  get outputShape(): Shape { return this.info.shape; }

  /** Whether input `i` holds whole numbers (an int32 Input). */
  isIntInput(i: number): boolean {
    const from = this.inputInfos[i];
    return from.layer.type === 'Input' && from.params.dtype === 'int32';
  }

  private scoped(suffix: string): string {
    return `${this.name}/${suffix}`;
  }

  node(op: string, suffix: string, inputs: string[], attrs?: Record<string, OnnxAttr>): string {
    return this.graph.node(op, this.scoped(suffix), inputs, attrs);
  }

  /** A trained weight of this layer, in Keras's layout, checked against the shape the model needs. */
  weight(name: string): { data: Float32Array; shape: number[] } {
    const spec = this.info.weights.find((w) => w.name === name);
    if (!spec) throw new Error(`ONNX export: ${this.info.layer.type} '${this.name}' has no weight '${name}'`);
    const key = this.scoped(name);
    const data = this.weights[key];
    const what = `${this.info.layer.type} '${this.name}'`;
    if (!data) throw new Error(`the weights to export have no ${key} for ${what} (shape ${formatShape(spec.shape)}): export from a checkpoint of this model`);
    if (data.length !== count(spec.shape)) throw new Error(`the weight ${key} of ${what} holds ${data.length} values, but the model needs shape ${formatShape(spec.shape)} (${count(spec.shape)} values): export from a checkpoint of this model`);
    return { data, shape: spec.shape };
  }

  /** A weight as an initializer named like the Keras weight, as stored. */
  initializer(name: string): string {
    const w = this.weight(name);
    return this.graph.floats(this.scoped(name), w.shape, w.data);
  }

  /** A float constant of this layer (a weight in ONNX's layout, gamma of ones, ...). */
  constant(suffix: string, dims: number[], data: Float32Array | number[]): string {
    return this.graph.floats(this.scoped(suffix), dims, data instanceof Float32Array ? data : Float32Array.from(data));
  }

  int64s(suffix: string, values: number[]): string {
    return this.graph.int64s(this.scoped(suffix), values);
  }

  transpose(x: string, perm: number[], suffix: string): string {
    return this.node('Transpose', suffix, [x], { perm: ints(perm) });
  }
}

/** The emitter of one layer type: adds its nodes and returns the value holding its output. */
export type Emit = (s: LayerScope, inputs: string[], p: Params) => string;
