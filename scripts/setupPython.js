// Creates .venv with the Python packages the conformance tests compare against (TensorFlow and
// Keras, TensorBoard, PyTorch's SummaryWriter), from the pip index this machine is configured with. The app never needs
// Python; only `npm test` (conformance) and `npm run bench` (peers) do.
// Exit code 0 even when pip cannot install: the conformance tests then say why they cannot run,
// and fail under CI (CI=true), where the packages must be available.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const python = `${root}.venv/bin/python`;
/** Python module -> the pip requirement that provides it. */
const PACKAGES = { tensorflow: 'tensorflow-cpu==2.21.0', tensorboard: 'tensorboard', torch: 'torch==2.13.0', onnxruntime: 'onnxruntime==1.30.0' };

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
  const missing = Object.entries(PACKAGES).filter(([module]) => !has(module)).map(([, requirement]) => requirement);
  if (missing.length > 0) {
    console.log(`Installing ${missing.join(' ')} into .venv for the conformance tests…`);
    execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--retries', '0', '--timeout', '2', ...missing], { stdio: 'inherit' });
  }
} catch (err) {
  console.warn(`Could not set up .venv for the conformance tests: ${err.message}`);
}
