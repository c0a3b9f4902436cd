export * from './engine.js';
export * from './checkTrainRequest.js';
export * from './bridge.js';
export * from './project.js';
export * from './runs.js';
export * from './export.js';
export * from './profile.js';
