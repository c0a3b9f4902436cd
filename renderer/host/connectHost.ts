import { createElectronHost } from './electronHost.js';
import type { HostAdapter } from './HostAdapter.js';
import { createWebHost } from './webHost.js';

/** The host this page runs in: Electron when the preload bridge is there, else the browser. */
export function connectHost(): HostAdapter {
  return window.kiln ? createElectronHost(window.kiln) : createWebHost();
}
