/** Kiln's Keras export: a .keras archive's config and weights layout, and the train.py beside it. */
export { compatibility } from './compatibility.js';
export { kerasConfig, kerasMetadata, KERAS_VERSION, type KerasConfigOptions } from './kerasConfig.js';
export type { KerasTrainingData } from './kerasDataCode.js';
export { kerasJson } from './kerasJson.js';
export { kerasLayerVariables, kerasOptimizerVariables, type KerasVariable } from './kerasWeights.js';
export { kerasTrainScript, TRAIN_SCRIPT_FILE, type KerasTrainScriptOptions } from './kerasTrainScript.js';
