/**
 * The narrow bridge between the sandboxed renderer and the engine host. It holds the MessagePort
 * that main hands over and exposes `window.kiln` (KilnBridge): text in, text out, nothing else.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { KilnBridge } from '../../common/contract/bridge.js';

let port: MessagePort | undefined;
const queued: string[] = [];
const messageListeners = new Set<(text: string) => void>();
const stopListeners = new Set<(reason: string) => void>();
let portWaiters: (() => void)[] = [];

ipcRenderer.on('kiln:engine-port', (event) => {
  port?.close();
  port = event.ports[0];
  port.onmessage = (message: MessageEvent) => {
    if (typeof message.data === 'string') for (const listener of messageListeners) listener(message.data);
  };
  for (const text of queued.splice(0)) port.postMessage(text);
  for (const wake of portWaiters) wake();
  portWaiters = [];
});

ipcRenderer.on('kiln:engine-stopped', (_event, reason: unknown) => {
  port?.close();
  port = undefined;
  for (const listener of stopListeners) listener(String(reason));
});

const bridge: KilnBridge = {
  platform: 'electron',
  sendToEngine(text) {
    if (typeof text !== 'string') throw new TypeError('sendToEngine takes JSON text');
    if (port) port.postMessage(text);
    else queued.push(text);
  },
  onEngineMessage(listener) {
    messageListeners.add(listener);
    return () => messageListeners.delete(listener);
  },
  onEngineStopped(listener) {
    stopListeners.add(listener);
    return () => stopListeners.delete(listener);
  },
  async pickDataPath(kind) {
    const path: unknown = await ipcRenderer.invoke('kiln:pick-data-path', kind === 'folder' ? 'folder' : 'file');
    return typeof path === 'string' ? path : null;
  },
  async pickProjectToOpen() {
    const path: unknown = await ipcRenderer.invoke('kiln:pick-project-to-open');
    return typeof path === 'string' ? path : null;
  },
  async pickProjectSavePath(defaultName) {
    const path: unknown = await ipcRenderer.invoke('kiln:pick-project-save-path', String(defaultName));
    return typeof path === 'string' ? path : null;
  },
  async restartEngine() {
    const connected = new Promise<void>((resolve) => portWaiters.push(resolve));
    await ipcRenderer.invoke('kiln:restart-engine');
    await connected;
  },
};

contextBridge.exposeInMainWorld('kiln', bridge);
