#!/usr/bin/env node
// The `kiln` command. Its code is compiled TypeScript in out/ (built by `npm install` / `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../out/electron/host/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('kiln: the app is not built yet: run "npm install" (or "npm run build") in the Kiln folder first');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
