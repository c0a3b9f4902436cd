// Compiles (or, with --noEmit, type-checks) the Electron main process and preload against
// Electron's own typings. Without the electron package (a plain `npm install` whose binary
// download failed removes it) there is nothing to check against: say so and go on, since the
// app then runs as `kiln serve`.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { electronTypingsInstalled } from './electronBinary.js';

if (!electronTypingsInstalled()) {
  console.warn('Electron is not installed: skipping electron/main and electron/preload (install with ELECTRON_SKIP_BINARY_DOWNLOAD=1 to check them).');
  process.exit(0);
}
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
for (const project of ['electron/main/tsconfig.json', 'electron/preload/tsconfig.json']) {
  execFileSync(process.execPath, [tsc, '-p', project, ...process.argv.slice(2)], { stdio: 'inherit' });
}
