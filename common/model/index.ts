export * from './ModelDoc.js';
export * from './inferShapes.js';
export * from './lowerModel.js';
