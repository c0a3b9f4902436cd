import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder, found from this file whether it runs from source or from out/. */
function findAppRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'kiln') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the Kiln package root');
    dir = parent;
  }
}

export const appRoot = findAppRoot();

export const paths = {
  addon: join(appRoot, 'native', 'build', 'Release', 'kiln_native.node'),
  engineHostEntry: join(appRoot, 'out', 'electron', 'host', 'engineHost.js'),
  rendererDir: join(appRoot, 'out', 'renderer'),
  datasetsDir: join(appRoot, 'assets', 'datasets'),
};
