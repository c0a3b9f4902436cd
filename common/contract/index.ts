export * from './engine.js';
export * from './checkTrainRequest.js';
export * from './bridge.js';
export * from './project.js';
export * from './runs.js';
