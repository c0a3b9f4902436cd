// `npm start`: opens the Electron window when Electron's binary is installed; otherwise serves
// the studio with `kiln serve` and prints its URL. Extra arguments go to `kiln serve`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './electronBinary.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const binary = electronBinary();
const [command, args] = binary
  ? [binary, [root]]
  : [process.execPath, [fileURLToPath(new URL('../bin/kiln.js', import.meta.url)), 'serve', ...process.argv.slice(2)]];
if (!binary) console.log("Electron's binary is not installed here, so Kiln runs in your browser instead.");
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
