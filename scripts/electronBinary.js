// Where Electron's binary is, or undefined when only its typings are installed
// (ELECTRON_SKIP_BINARY_DOWNLOAD=1) or Electron is not installed at all.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function electronBinary() {
  try {
    const binary = require('electron');
    return typeof binary === 'string' && existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

export function electronTypingsInstalled() {
  try {
    require.resolve('electron/electron.d.ts');
    return true;
  } catch {
    return false;
  }
}
