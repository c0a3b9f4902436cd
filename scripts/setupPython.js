// Creates .venv with the Python packages the conformance tests compare against (TensorFlow,
// TensorBoard later), from the pip index this machine is configured with. The app never needs
// Python; only `npm test` (conformance) and `npm run bench` (peers) do.
// Exit code 0 even when pip cannot install: the conformance tests then say why they cannot run,
// and fail under CI (CI=true), where the packages must be available.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = `${root}.venv/bin/python`;
const PACKAGES = ['tensorflow-cpu==2.21.0'];

function has(module) {
  try {
    execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

try {
  if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', `${root}.venv`], { stdio: 'inherit' });
  if (!has('tensorflow')) {
    console.log(`Installing ${PACKAGES.join(' ')} into .venv for the conformance tests…`);
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--retries', '0', '--timeout', '2', ...PACKAGES], { stdio: 'inherit' });
  }
} catch (err) {
  console.warn(`Could not set up .venv for the conformance tests: ${err.message}`);
}
