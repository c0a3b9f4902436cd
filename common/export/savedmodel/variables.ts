/**
 * The model's weights as TensorFlow resource variables, and the TF1 saver graph that restores
 * them from `variables/variables.*` (the protocol of tf.compat.v1.train.Saver, which the C++
 * loader, TF Serving and both Python loaders run): RestoreV2 -> AssignVariableOp per variable ->
 * `save/restore_all`, fed the checkpoint prefix through `save/Const`. A save sub-graph is there
 * too, because Python's Saver refuses a saver_def without a save tensor.
 */
import type { GraphBuilder } from './GraphBuilder.js';
import type { TfDtype } from './graphProto.js';

export interface Variable {
  /** The VarHandleOp's name, which is also the variable's key in the checkpoint. */
  name: string;
  shape: number[];
  trainable: boolean;
  /** Its value in the graph (a ReadVariableOp's output). */
  read: string;
  initializer: string;
  initialValue: string;
}

export interface SaverDef {
  filenameTensor: string;
  saveTensor: string;
  restoreOp: string;
}

/** A float32 resource variable `name` of `shape`, with a read and (for TF2's lifting) an initializer. */
export function addVariable(g: GraphBuilder, name: string, shape: number[], trainable: boolean): Variable {
  const handle = g.add('VarHandleOp', name, [], { dtype: { type: 'float32' }, shape: { shape }, shared_name: { s: name } });
  const read = g.add('ReadVariableOp', `${handle}/Read/ReadVariableOp`, [handle], { dtype: { type: 'float32' } });
  // Only what tf.compat.v1.global_variables_initializer() would run; loaders restore instead.
  const initialValue = g.constant(`${handle}/Initializer/zeros`, { dtype: 'float32', shape, values: [0] });
  const initializer = g.add('AssignVariableOp', `${handle}/Assign`, [handle, initialValue], { dtype: { type: 'float32' } });
  return { name: handle, shape, trainable, read, initializer, initialValue };
}

/** The save and restore sub-graphs for `variables`, under the name scope `scope`. */
export function addSaver(g: GraphBuilder, scope: string, variables: readonly Variable[]): SaverDef {
  const strings = (name: string, values: string[]) => g.constant(`${scope}/${name}`, { dtype: 'string', shape: [values.length], values });
  const names = variables.map((v) => v.name);
  const dtypes = { types: variables.map((): TfDtype => 'float32') };
  // Const -> PlaceholderWithDefault, as Saver writes it: the loaders feed the prefix in.
  const input = g.constant(`${scope}/filename/input`, { dtype: 'string', shape: [], values: ['model'] });
  const filename = g.add('PlaceholderWithDefault', `${scope}/filename`, [input], { dtype: { type: 'string' }, shape: { shape: [] } });
  const prefix = g.add('PlaceholderWithDefault', `${scope}/Const`, [filename], { dtype: { type: 'string' }, shape: { shape: [] } });

  const save = g.add('SaveV2', `${scope}/SaveV2`, [prefix, strings('SaveV2/tensor_names', names), strings('SaveV2/shape_and_slices', names.map(() => '')), ...variables.map((v) => v.read)], { dtypes });
  const saved = g.add('Identity', `${scope}/control_dependency`, [prefix, `^${save}`], { T: { type: 'string' } });

  const restore = g.add('RestoreV2', `${scope}/RestoreV2`, [prefix, strings('RestoreV2/tensor_names', names), strings('RestoreV2/shape_and_slices', names.map(() => ''))], { dtypes });
  const assigns = variables.map((v, i) => g.add('AssignVariableOp', `${scope}/AssignVariableOp`, [v.name, `${restore}:${i}`], { dtype: { type: 'float32' } }));
  const restoreAll = g.add('NoOp', `${scope}/restore_all`, assigns.map((a) => `^${a}`));
  return { filenameTensor: `${prefix}:0`, saveTensor: `${saved}:0`, restoreOp: restoreAll };
}
