/**
 * Collects a GraphDef's nodes under unique, valid TensorFlow names, checking each node against
 * its op's required attrs and input count as it is added (tfOps.ts): a mistake shows up here,
 * naming the node, rather than as a failed load in TensorFlow.
 */
import type { AttrValue, NodeDef, TensorValue, TfDtype } from './graphProto.js';
import { TF_OPS } from './tfOps.js';

/**
 * A valid node name (or name scope) for any text: TensorFlow accepts [A-Za-z0-9.][A-Za-z0-9_.-]*
 * per path component (graph_constructor.cc IsValidNodeName); other characters become '_'.
 */
export function tfName(text: string): string {
  const name = text.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z0-9.]/.test(name) ? name : `layer${name}`;
}

export class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  private readonly names = new Set<string>();
  private readonly scopes = new Set<string>();

  /** A name scope of its own for `base` (made valid): `base`, else `base_1`, `base_2`, ... */
  scope(base: string): string {
    const name = this.free(tfName(base), (n) => this.scopes.has(n) || this.names.has(n));
    this.scopes.add(name);
    return name;
  }

  /** Whether a node has this name. */
  has(name: string): boolean {
    return this.names.has(name);
  }

  /**
   * Adds a node named `name` (or `name_1`, ... when taken); returns its name, which is also its
   * first output's tensor name.
   */
  add(op: string, name: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const spec = TF_OPS[op];
    if (!spec) throw new Error(`node '${name}': op ${op} is not one Kiln's SavedModel export knows`);
    const missing = spec.required.filter((a) => !(a in attrs));
    if (missing.length > 0) throw new Error(`node '${name}' (${op}) lacks the attrs ${missing.join(', ')}`);
    const data = inputs.filter((i) => !i.startsWith('^')).length;
    const wanted = spec.inputs === 'N+1' ? (attrs.N as { i: number }).i + 1 : spec.inputs === 'dtypes' ? 3 + (attrs.dtypes as { types: TfDtype[] }).types.length : spec.inputs;
    if (data !== wanted) throw new Error(`node '${name}' (${op}) has ${data} inputs, but ${op} takes ${wanted}`);
    const unique = this.free(name, (n) => this.names.has(n));
    this.names.add(unique);
    this.nodes.push({ name: unique, op, inputs, attrs });
    return unique;
  }

  /** A Const node holding `value`. */
  constant(name: string, value: TensorValue): string {
    return this.add('Const', name, [], { dtype: { type: value.dtype }, value: { tensor: value } });
  }

  private free(base: string, taken: (name: string) => boolean): string {
    if (!taken(base)) return base;
    for (let i = 1; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
  }
}
