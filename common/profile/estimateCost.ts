/**
 * Estimates of the work an op does: FLOPs for a layer's main compute (matmul, convolution) and
 * its gradients, bytes moved for the ops of layers and of weight updates. The catalogue's FLOPs
 * (common/model/layers) are per sample, forward; each of the two gradients of a matmul or a
 * convolution (with respect to the input and to the kernel) costs about as much as the forward.
 */
import type { ModelAnalysis } from '../model/analyzeModel.js';
import type { EngineModelSpec, OptimizerSpec } from '../model/engineSpec.js';
import { perSample } from '../model/layers/types.js';
import { forwardNodeOf, leadNode } from './attributeNode.js';
import type { ProfilePhase } from './ProfileReport.js';

/** Ops that do a layer's main compute; everything else is memory-bound. */
export const MAIN_COMPUTE_OPS: ReadonlySet<string> = new Set(['matmul', 'conv1d', 'conv2d', 'conv2d_backprop_input', 'conv2d_backprop_filter']);

const FLOAT_BYTES = 4;
const elements = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Slots the optimizer keeps per trainable weight (Adam's m and v, SGD's velocity, RMSprop's average...). */
export function optimizerSlots(o: OptimizerSpec): number {
  if (o.type === 'adam' || o.type === 'adamw') return 2;
  if (o.type === 'rmsprop') return 1 + ((o.momentum ?? 0) > 0 ? 1 : 0) + (o.centered ? 1 : 0);
  return (o.momentum ?? 0) > 0 ? 1 : 0;
}

/** Arrays an update reads and writes, per weight element (the weight, its gradient, the slots). */
function updateTraffic(op: string, o: OptimizerSpec): number {
  if (op === 'assign_moving_average') return 3;
  return 2 + 2 * optimizerSlots(o) + 1;
}

interface LayerSize {
  /** Per sample. */
  inElements: number;
  outElements: number;
  weightElements: number;
}

export class CostModel {
  /** Forward FLOPs per step of each main-compute node, by its (unfused) name. */
  private readonly forward = new Map<string, number>();
  private readonly sizes = new Map<string, LayerSize>();
  /** Elements of each weight, by its engine name (`<layer>/<weight>`). */
  private readonly weights: Map<string, number>;

  constructor(analysis: ModelAnalysis, private readonly spec: EngineModelSpec, private readonly batch: number) {
    this.weights = new Map(spec.params.map((p) => [p.name, elements(p.shape)]));
    for (const info of analysis.order) {
      const name = info.layer.name;
      const inElements = info.inputs.reduce((a, id) => a + perSample(analysis.shapes.get(id)!), 0);
      this.sizes.set(info.layer.id, { inElements, outElements: perSample(info.shape), weightElements: info.trainable + info.nonTrainable });
      // A layer with several main ops (SeparableConv2D: depthwise, then pointwise) splits its FLOPs by
      // kernel size: both run over the same output positions, so each costs in proportion to its kernel.
      const main = spec.nodes.filter((n) => MAIN_COMPUTE_OPS.has(n.op) && (n.name === name || n.name.startsWith(`${name}/`)));
      const weightOf = (inputs: string[]) => inputs.reduce((a, i) => a + this.kernelElements(i), 0) || 1;
      const total = main.reduce((a, n) => a + weightOf(n.inputs), 0);
      for (const n of main) this.forward.set(n.name, (info.flops * batch * weightOf(n.inputs)) / total);
    }
  }

  /** Elements of the weight a value is, seen through reshapes and transposes (a depthwise kernel is reshaped first). */
  private kernelElements(value: string): number {
    const direct = this.weights.get(value);
    if (direct !== undefined) return direct;
    const maker = this.spec.nodes.find((n) => (n.outputs?.[0] ?? n.name) === value);
    return maker && (maker.op === 'reshape' || maker.op === 'transpose') ? this.kernelElements(maker.inputs[0]) : 0;
  }

  /** FLOPs per step of a profiled node, when it is a main compute op or the gradient of one. */
  flops(node: string, op: string, phase: ProfilePhase): number | null {
    if (!MAIN_COMPUTE_OPS.has(op)) return null;
    if (phase === 'forward') {
      const parts = node.split('+').map((p) => this.forward.get(p) ?? 0);
      const sum = parts.reduce((a, b) => a + b, 0);
      return sum > 0 ? sum : null;
    }
    const of = phase === 'backward' ? forwardNodeOf(node) : null;
    return of === null ? null : (this.forward.get(of) ?? null);
  }

  /** Bytes read and written per step, estimated: operands once each, float32. */
  bytes(node: string, op: string, phase: ProfilePhase, layerId: string | null): number | null {
    if (phase === 'optimizer') {
      const weight = leadNode(node).split('/').slice(0, 2).join('/');
      const count = this.weights.get(weight);
      return count === undefined ? null : count * updateTraffic(op, this.spec.optimizer) * FLOAT_BYTES;
    }
    const size = layerId === null || phase === 'metrics' ? undefined : this.sizes.get(layerId);
    if (!size) return null;
    const activations = this.batch * (size.inElements + size.outElements);
    return (MAIN_COMPUTE_OPS.has(op) ? activations + size.weightElements : activations) * FLOAT_BYTES;
  }
}
