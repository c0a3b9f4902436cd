// `node bench/data.js`: the data pipeline. Writes a folder of PNG digits (real MNIST digits from
// the built-in sample, one subfolder per class), then measures (1) images per second through the
// folder source (PNG decode + resize to 28x28 grayscale, as image_dataset_from_directory) on the
// worker-thread decode pool, writing the folder's decode cache, and the time to reuse that cache;
// (2) the share of W2's training time (the CNN of `kiln bench`, batch 64, Adam) spent waiting for
// batches when it trains from that folder (the engine maps the cache) with augmentation layers
// (RandomFlip, RandomRotation, RandomZoom) in the model. Prints figures; asserts nothing. Needs
// `npm run build:ts`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
const { getDataset } = await import(out('electron/host/datasets.js'));
const { loadDataSpec } = await import(out('electron/host/training/dataSpec.js'));
const { lowerModel, defaultTrainingConfig } = await import(out('common/model/index.js'));
const { loadAddon } = await import(out('electron/host/addon.js'));

const IMAGES = 4000;
const dir = mkdtempSync(join(tmpdir(), 'kiln-png-'));
process.env.KILN_CACHE_DIR = join(dir, 'cache');
try {
  const mnist = getDataset('mnist');
  for (let c = 0; c < 10; c++) mkdirSync(join(dir, 'digits', String(c)), { recursive: true });
  for (let i = 0; i < IMAGES; i++) {
    const png = new PNG({ width: 28, height: 28, colorType: 0, inputColorType: 0, inputHasAlpha: false });
    for (let p = 0; p < 784; p++) png.data[p] = mnist.x[i * 784 + p];
    writeFileSync(join(dir, 'digits', String(mnist.y[i]), `${i}.png`), PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }));
  }

  const load = () => loadDataSpec(join(dir, 'digits'), { inputs: ['image'], outputs: ['dense_2'] }, process.cwd(), { imageSize: [28, 28], colorMode: 'grayscale', seed: 1 });
  const timed = (f) => {
    const start = performance.now();
    f();
    return (performance.now() - start) / 1000;
  };
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    rmSync(process.env.KILN_CACHE_DIR, { recursive: true, force: true });  // decode every time
    best = Math.min(best, timed(load));
  }
  let data;
  const reuse = timed(() => (data = load()));
  console.log(`folder pipeline: ${IMAGES} PNGs decoded and resized to 28x28 grayscale on the decode pool (${availableParallelism()} threads), into the decode cache: ${(IMAGES / best).toFixed(0)} images/s (best of 3); reusing the cache: ${(reuse * 1000).toFixed(0)} ms`);

  const layer = (id, type, params) => ({ id, name: id, type, params });
  const names = ['image', 'flip', 'rotate', 'zoom', 'rescale', 'conv_1', 'pool_1', 'conv_2', 'pool_2', 'flatten', 'dense_1', 'dense_2'];
  const model = {
    layers: [
      layer('image', 'Input', { shape: [28, 28, 1] }),
      layer('flip', 'RandomFlip', { mode: 'horizontal' }),
      layer('rotate', 'RandomRotation', { factor: 0.05 }),
      layer('zoom', 'RandomZoom', { height_factor: 0.1 }),
      layer('rescale', 'Rescaling', { scale: 1 / 255 }),
      layer('conv_1', 'Conv2D', { filters: 32, kernel_size: 3, activation: 'relu' }),
      layer('pool_1', 'MaxPooling2D', {}),
      layer('conv_2', 'Conv2D', { filters: 64, kernel_size: 3, activation: 'relu' }),
      layer('pool_2', 'MaxPooling2D', {}),
      layer('flatten', 'Flatten', {}),
      layer('dense_1', 'Dense', { units: 128, activation: 'relu' }),
      layer('dense_2', 'Dense', { units: 10, activation: 'softmax' }),
    ],
    edges: names.slice(1).map((to, i) => ({ from: names[i], to })),
  };
  const lowered = lowerModel(model, { ...defaultTrainingConfig(), optimizer: { type: 'adam' }, batchSize: 64 });
  if (!lowered.ok) throw new Error(lowered.issues.map((i) => i.message).join('; '));
  const native = new (loadAddon().Model)(lowered.spec);
  const x = data.train.x[0].data, y = data.train.y[0].data;  // x: the mapped cache file
  let wait = 0, seconds = 0;
  await native.fit({ x, y }, { epochs: 1, batchSize: 64 });
  const start = performance.now();
  await native.fit({ x, y }, { epochs: 2, batchSize: 64 }, (events) => {
    for (const e of events) if (e.type === 'epoch') wait += e.dataWait;
  });
  seconds = (performance.now() - start) / 1000;
  console.log(`W2 with augmentation from the PNG folder: ${((2 * (x.length / 784)) / seconds).toFixed(0)} samples/s, ${((100 * wait) / seconds).toFixed(2)}% of the time waiting for data`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
