export * from './ProfileReport.js';
export * from './attributeNode.js';
export * from './estimateCost.js';
export * from './buildProfileReport.js';
export * from './profileFindings.js';
export * from './stepLayout.js';
export * from './chromeTrace.js';
export * from './profileCsv.js';
