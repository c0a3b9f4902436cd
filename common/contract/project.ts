/**
 * The engine host's project service: open, save, recent projects, autosave and recovery. Served
 * on the same connection as IEngineService (Electron: MessagePort; browser: `kiln serve`'s
 * WebSocket), so both hosts open and save through the same code; only the choice of a file
 * differs (Electron's dialogs, or the browser's file picker and downloads).
 */
import { PROJECT_SUFFIX, type ProjectFile } from '../project/projectFile.js';

/** A document as it was opened: a project file, or a Keras model imported as an editable graph. */
export interface OpenedProject {
  /** The project file; null for an import or an upload, which saving then asks a path for. */
  path: string | null;
  name: string;
  kind: 'project' | 'keras-import';
  project: ProjectFile;
  /** Whether the document carries weights (trained, or imported from a .keras archive). */
  hasWeights: boolean;
  /** The file its weights come from (a .npz or a .keras): pass it to saveProject to keep them. */
  weightsFrom?: string;
  /** What the import, a migration or a missing weights file meant, for the user. */
  notes: string[];
}

export interface SavedProject {
  path: string;
  name: string;
  /** What was written: `weights` names the weights file beside it, when the project kept them. */
  project: ProjectFile;
  hasWeights: boolean;
  weightsFrom?: string;
  /** What the save could not keep (weights that no longer fit the model). */
  notes: string[];
}

export interface RecentProject {
  path: string;
  name: string;
  /** When the file was last written (ISO 8601). */
  savedAt: string;
}

/** The unsaved document as autosave wrote it. */
export interface AutosavedDocument {
  project: ProjectFile;
  /** The project file it was opened from or last saved to; null when it never had one. */
  path: string | null;
  name: string;
  weightsFrom?: string;
  savedAt: string;
}

export interface IProjectService {
  /** Opens a NAME.kiln.json, or imports a .keras archive or a Keras model.to_json() file. */
  openProject(params: { path: string }): Promise<OpenedProject>;
  /**
   * Opens an uploaded file (browser host). `content` is the file's text, except for a `.keras`
   * archive, which travels as base64 (see `uploadEncoding`). An upload has no folder, so weights
   * beside a project cannot come with it.
   */
  openProjectText(params: { fileName: string; content: string }): Promise<OpenedProject>;
  /**
   * Writes the project atomically to `path` (an absolute NAME.kiln.json), keeping the weights of
   * `weightsFrom` (or of the weights file the project names beside `path`) when they still fit the
   * model, and puts it first in the recent list.
   */
  saveProject(params: { path: string; project: ProjectFile; weightsFrom?: string }): Promise<SavedProject>;
  /** Most recent first, at most RECENT_PROJECTS_MAX, leaving out files that no longer exist. */
  recentProjects(): Promise<RecentProject[]>;
  /** Writes the unsaved document where recoverAutosave finds it after a crash. */
  autosave(params: { project: ProjectFile; path?: string | null; name: string; weightsFrom?: string }): Promise<{ savedAt: string }>;
  clearAutosave(): Promise<void>;
  recoverAutosave(): Promise<AutosavedDocument | null>;
}

export const RECENT_PROJECTS_MAX = 10;

/** Error codes of the project service; `details` is `{ file, problems: string[] }`. */
export const ProjectErrorCode = {
  notFound: 'FILE_NOT_FOUND',
  invalidProject: 'INVALID_PROJECT',
  invalidPath: 'INVALID_PROJECT_PATH',
  unsupportedFile: 'UNSUPPORTED_FILE',
  importFailed: 'IMPORT_FAILED',
  writeFailed: 'WRITE_FAILED',
} as const;

/** How an upload's content is encoded for openProjectText: base64 for a .keras archive (a zip), text otherwise. */
export function uploadEncoding(fileName: string): 'base64' | 'text' {
  return fileName.toLowerCase().endsWith('.keras') ? 'base64' : 'text';
}

/** A path the user chose to save to, as a project path: `model` and `model.json` become `model.kiln.json`. */
export function withProjectSuffix(path: string): string {
  if (path.endsWith(PROJECT_SUFFIX)) return path;
  return `${path.replace(/\.json$/i, '')}${PROJECT_SUFFIX}`;
}
