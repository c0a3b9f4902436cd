export * from './ModelDoc.js';
export * from './inferShapes.js';
export * from './lowerModel.js';
export * from './engineSpec.js';
export * from './lowerLayers.js';
