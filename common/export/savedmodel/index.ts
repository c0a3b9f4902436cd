export { compatibility, exportSavedModel, SavedModelExportError, type SavedModelOptions } from './exportSavedModel.js';
