/** TensorFlow Lite export: `compatibility` before, `exportTflite` to write model.tflite. */
export { compatibility } from './compatibility.js';
export { exportTflite, TFLITE_FILE } from './exportTflite.js';
