/** TF.js layers-format export: `compatibility` before, `exportTfjs` to write model.json and its weight shard. */
export { compatibility, exportTfjs, TFJS_MODEL_FILE, TFJS_SHARD_FILE } from './exportTfjs.js';
