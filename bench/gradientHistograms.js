// `node bench/gradientHistograms.js [rounds]`: what the gradient histograms cost a run at each
// epoch's end (runTraining: model.gradients over the training data's first batch, then a
// histogram per trainable weight bucketed and encoded for the event file), next to the weight
// histograms written at the same time and to an epoch of training. LeNet-5 on sample:mnist (the
// model bench/runsDashboard.js trains) and the default model on sample:iris. Prints medians over
// `rounds` (default 9); asserts nothing. Needs `npm run build:ts`.
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = (p) => new URL(`../out/${p}`, import.meta.url).href;
const { TEMPLATES, defaultModel, defaultTrainingConfig } = await import(out('common/model/index.js'));
const { EventWriter } = await import(out('common/formats/tfevents/index.js'));
const { buildNativeModel, prepareData } = await import(out('electron/host/training/runTraining.js'));
const { loadDataSpec } = await import(out('electron/host/training/dataSpec.js'));

const ROUNDS = Number(process.argv[2] ?? 9);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (s) => `${(s * 1000).toFixed(1)} ms`;

async function measure(name, model, training, data) {
  const built = buildNativeModel(model, training);
  const nameOf = (id) => model.layers.find((l) => l.id === id).name;
  const splits = loadDataSpec(data, { inputs: built.analysis.inputs.map(nameOf), outputs: built.analysis.outputs.map(nameOf) }, root, { seed: 1 });
  const train = prepareData(splits.train, built.spec, built.analysis, 'the training data');
  const batch = Math.min(training.batchSize, train.count);
  const per = (shape) => shape.reduce((a, b) => a * b, 1);
  const first = {
    x: train.x.map((a, i) => a.subarray(0, batch * per(built.spec.inputs[i].shape))),
    y: train.y.map((a, i) => a.subarray(0, batch * per(built.spec.targets[i].shape))),
  };
  const writer = new EventWriter();
  const histograms = (values, suffix) => {
    for (const [tag, v] of Object.entries(values)) writer.histogram(`${tag}${suffix}`, v, 0);
    writer.take();
  };
  const epochs = [], gradients = [], weights = [];
  await built.model.fit({ x: train.x, y: train.y }, { epochs: 1, batchSize: batch });  // compiles the plans
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    await built.model.fit({ x: train.x, y: train.y }, { epochs: 1, batchSize: batch });
    epochs.push((performance.now() - t) / 1000);
    t = performance.now();
    histograms(await built.model.gradients(first, { batchSize: batch }), '_grad');
    gradients.push((performance.now() - t) / 1000);
    t = performance.now();
    histograms(built.model.getWeights(), '');
    weights.push((performance.now() - t) / 1000);
  }
  const [e, g, w] = [median(epochs), median(gradients), median(weights)];
  console.log(`${name} (${train.count} samples, batch ${batch}): epoch ${ms(e)}; gradient histograms ${ms(g)} (${((g / e) * 100).toFixed(1)}% of the epoch); weight histograms ${ms(w)}`);
}

const lenet = TEMPLATES.find((t) => t.id === 'lenet5');
await measure('LeNet-5 on sample:mnist', lenet.model, lenet.training, lenet.data);
await measure('default model on sample:iris', defaultModel(), { ...defaultTrainingConfig(), batchSize: 16 }, 'sample:iris');
