/** What a layer's TensorFlow Lite emitter sees, and helpers the emitters share. */
import type { LayerInfo } from '../../../model/analyzeModel.js';
import type { Params } from '../../../model/layers/index.js';
import type { Shape } from '../../../model/ModelDoc.js';
import { activation } from '../activations.js';
import { Fused } from '../schema.js';
import type { Tensor, TfliteGraph } from '../TfliteGraph.js';

export interface EmitContext {
  g: TfliteGraph;
  info: LayerInfo;
  /** The layer's parameters, Keras's defaults filled in. */
  p: Params;
  /** The tensors the layer reads, in input order (float32 except an Embedding's indices). */
  inputs: Tensor[];
  /** `<layer>/<suffix>`: names the layer's intermediate tensors and constants. */
  name(suffix: string): string;
  /** A trained weight by its Keras name (kernel, bias, gamma, ...), in Keras's layout. */
  weight(name: string): Float32Array;
}

/** Adds the layer's operators; returns its output (one of its inputs for an identity at inference). */
export type Emitter = (ctx: EmitContext) => Tensor;

/** An analysed shape with -1 for the batch axis. */
export const batched = (shape: Shape): number[] => shape.map((d) => d ?? -1);

/** The layer's bias as a constant: its trained one, or zeros when use_bias is off. */
export function bias(ctx: EmitContext, units: number): Tensor {
  return ctx.p.use_bias ? ctx.g.floats(ctx.name('bias'), ctx.weight('bias')) : ctx.g.floats(ctx.name('bias'), new Float32Array(units));
}

/** The fused activation an operator can apply to its output: float kernels clamp, so only relu fuses. */
export const fusedActivation = (ctx: EmitContext): number => (ctx.p.activation === 'relu' ? Fused.RELU : Fused.NONE);

/** Applies the layer's `activation` parameter to y, unless the operator that made y fused it. */
export function finishActivation(ctx: EmitContext, y: Tensor, fused: number): Tensor {
  return fused === Fused.NONE ? activation(ctx.g, y, ctx.p.activation as string | null, ctx.name(String(ctx.p.activation))) : y;
}
