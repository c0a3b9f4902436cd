export * from './ModelDoc.js';
export * from './analyzeModel.js';
export * from './lowerModel.js';
export * from './trainingConfig.js';
export * from './engineSpec.js';
export * from './layers/index.js';
export * from './templates/index.js';
export * from './keras/toKerasCode.js';
