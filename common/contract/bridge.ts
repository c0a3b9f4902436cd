/**
 * What Electron's preload exposes to the renderer as `window.kiln`: one method per capability,
 * strings only, no Electron objects. The engine host's RPC messages travel as JSON text over a
 * MessagePort that the preload holds.
 */
export interface KilnBridge {
  readonly platform: 'electron';
  /** Sends one RPC message (JSON text) to the engine host. */
  sendToEngine(text: string): void;
  /** Receives RPC messages from the engine host. Returns an unsubscribe function. */
  onEngineMessage(listener: (text: string) => void): () => void;
  /** Fires when the engine host process ends (crash, kill or exit), with a reason for the user. */
  onEngineStopped(listener: (reason: string) => void): () => void;
  /** Starts a fresh engine host and connects to it; resolves when it is ready. */
  restartEngine(): Promise<void>;
  /** Asks the user for a dataset (a file or a folder) in the system's dialog; null when cancelled. */
  pickDataPath(kind: 'file' | 'folder'): Promise<string | null>;
  /** Asks the user for a project or a Keras model to open; null when cancelled. */
  pickProjectToOpen(): Promise<string | null>;
  /** Asks the user where to save the project (suggesting `defaultName`); a NAME.kiln.json path, or null when cancelled. */
  pickProjectSavePath(defaultName: string): Promise<string | null>;
}
