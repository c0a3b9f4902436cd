import type { Disposable } from '../../common/rpc/index.js';

export type { Disposable };

/**
 * How the renderer reaches the engine, whatever carries the messages (Electron's preload bridge, a
 * WebSocket to `kiln serve`, or memory in tests). The engine's typed view is
 * `createProxy<IEngineService>(adapter)`.
 */
export interface HostAdapter {
  readonly kind: 'electron' | 'web' | 'test';
  call(method: string, params?: unknown): Promise<unknown>;
  onEvent(listener: (event: string, data: unknown) => void): Disposable;
  /** The system's file dialog (Electron only): a dataset's path, or null when cancelled. */
  pickDataPath?(kind: 'file' | 'folder'): Promise<string | null>;
  /** The system's open dialog (Electron only): a project or Keras model path, or null when cancelled. */
  pickProjectToOpen?(): Promise<string | null>;
  /** The system's save dialog (Electron only): a NAME.kiln.json path, or null when cancelled. */
  pickProjectSavePath?(defaultName: string): Promise<string | null>;
}

/** A file the user picked in the browser, as openProjectText takes it. */
export interface PickedFile {
  fileName: string;
  /** Text, or base64 for a binary file (see `uploadEncoding` in common/contract/project.ts). */
  content: string;
}

/** The browser host's way with files (renderer/host/browserFiles.ts): a file picker and downloads. */
export interface BrowserFiles {
  /** The browser's file picker (`accept`: ".json,.keras"); null when the user cancels. */
  pickFile(accept: string): Promise<PickedFile | null>;
  downloadText(fileName: string, text: string): void;
}

/** Events a host adapter makes up itself (the engine's own events are in common/contract). */
export const HostEvent = {
  /** The connection to the server went away (web host): `{ reason }`. The next call reconnects. */
  didDisconnect: 'host.didDisconnect',
} as const;

export interface HostDisconnect {
  reason: string;
}
