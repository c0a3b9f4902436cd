export { compatibility, exportSavedModel, SavedModelExportError, type CompatibilityIssue, type SavedModelOptions } from './exportSavedModel.js';
