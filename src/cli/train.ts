/**
 * Trains the lab's bundled MLPs on the 60,000 MNIST training images and
 * writes them to `public/models/<id>/` (model.json + weights.bin) plus
 * `public/models/manifest.json`, which the app reads to list them. Runs on
 * TF.js's WASM backend in Node (tfjs-node is not installable here).
 *
 * Usage: `npm run train` (all models), `npx tsx src/cli/train.ts mlp-64`
 * (just that one; other manifest entries are kept), or `... --verify`
 * (reload every manifest model from disk and check its test accuracy).
 *
 * Reproducibility: weights are initialised from seeded Glorot initialisers,
 * batches come from our own seeded shuffle, and dropout masks are seeded per
 * step (see `reseedDropout`). Test data is only used to report accuracy
 * after each epoch, never to choose anything: the final epoch is what ships.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import type { MnistSample } from '../core/mnist';
import { mulberry32, seededPermutation, type Rng } from '../core/sampling';
import { saveLayersModelToDir } from './layersModelFiles';
import { MODEL_SPECS, TRAINING, manifestEntry, type ModelSpec } from './modelSpecs';
import { MODELS_DIR, loadSplit, modelAccuracy, readManifestFile, verifySaved, writeManifestFile } from './trainingData';

const NUM_CLASSES = 10;

/** Layer names are part of the contract with src/model (which factorizes fc1, fc2, out). */
function buildModel(spec: ModelSpec): tf.Sequential {
  const [h1, h2] = spec.hidden;
  const init = (offset: number) => tf.initializers.glorotUniform({ seed: spec.seed + offset });
  const model = tf.sequential({ name: spec.id.replace('-', '_') });
  model.add(tf.layers.dense({ name: 'fc1', inputShape: [784], units: h1, activation: 'relu', kernelInitializer: init(1) }));
  model.add(tf.layers.dropout({ name: 'drop1', rate: TRAINING.dropout, seed: spec.seed + 11 }));
  model.add(tf.layers.dense({ name: 'fc2', units: h2, activation: 'relu', kernelInitializer: init(2) }));
  model.add(tf.layers.dropout({ name: 'drop2', rate: TRAINING.dropout, seed: spec.seed + 12 }));
  model.add(tf.layers.dense({ name: 'out', units: NUM_CLASSES, activation: 'softmax', kernelInitializer: init(3) }));
  model.compile({ optimizer: tf.train.adam(TRAINING.learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  return model;
}

/**
 * TF.js's Dropout passes its fixed `seed` to tf.dropout, which seeds a fresh
 * generator on every call: every step (and both layers, whose inputs have the
 * same shape) would reuse one mask, i.e. train a fixed sub-network. So before
 * each step we give each Dropout layer a new seed drawn from our own stream
 * (`seed` is private in the typings, hence the cast). With `rng` null the
 * layers get back the seeds they were built with, which model.json records.
 */
function reseedDropout(model: tf.LayersModel, spec: ModelSpec, rng: Rng | null): void {
  model.layers
    .filter((layer) => layer.getClassName() === 'Dropout')
    .forEach((layer, i) => {
      (layer as unknown as { seed: number }).seed = rng ? Math.floor(rng() * 2 ** 31) : spec.seed + 11 + i;
    });
}

function batchTensors(data: MnistSample, indices: Uint32Array): [tf.Tensor2D, tf.Tensor2D] {
  const size = data.rows * data.cols;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length * NUM_CLASSES);
  indices.forEach((img, k) => {
    for (let p = 0; p < size; p++) x[k * size + p] = data.pixels[img * size + p] / 255;
    y[k * NUM_CLASSES + data.labels[img]] = 1;
  });
  return [tf.tensor2d(x, [indices.length, size]), tf.tensor2d(y, [indices.length, NUM_CLASSES])];
}

/** Trains, saves and re-verifies one model; returns its test accuracy (0..1) and parameter count. */
async function trainOne(spec: ModelSpec, train: MnistSample, test: MnistSample): Promise<{ accuracy: number; params: number }> {
  const model = buildModel(spec);
  const rng = mulberry32(spec.seed);
  console.log(`\n${spec.id}: ${spec.name}, ${model.countParams()} params, seed ${spec.seed}`);
  const started = performance.now();
  for (let epoch = 1; epoch <= TRAINING.epochs; epoch++) {
    const t0 = performance.now();
    const order = seededPermutation(train.count, rng);
    let lossSum = 0;
    let accSum = 0;
    for (let start = 0; start < train.count; start += TRAINING.batchSize) {
      const batch = order.subarray(start, Math.min(train.count, start + TRAINING.batchSize));
      const [x, y] = batchTensors(train, batch);
      reseedDropout(model, spec, rng);
      const [loss, acc] = (await model.trainOnBatch(x, y)) as number[];
      tf.dispose([x, y]);
      lossSum += loss * batch.length;
      accSum += acc * batch.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(`  epoch ${String(epoch).padStart(2)}  loss ${(lossSum / train.count).toFixed(4)}  ` +
      `train acc ${(accSum / train.count).toFixed(4)}  test acc ${modelAccuracy(model, test).toFixed(4)}  ${seconds.toFixed(1)} s`);
  }
  reseedDropout(model, spec, null);
  const accuracy = modelAccuracy(model, test);
  const files = await saveLayersModelToDir(model, join(MODELS_DIR, spec.id));
  console.log(`  trained in ${((performance.now() - started) / 1000).toFixed(1)} s, test accuracy ${accuracy.toFixed(4)}; ` +
    `wrote model.json (${files.modelJsonBytes} B) + weights.bin (${files.weightsBytes} B)`);
  const params = model.countParams();
  // An optimizer passed to compile() as an object is not owned by the model,
  // so model.dispose() leaves Adam's moment tensors behind.
  model.optimizer.dispose();
  model.dispose();
  await verifySaved(spec.id, accuracy, test);
  return { accuracy, params };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const verifyOnly = args.includes('--verify');
  const ids = args.filter((a) => !a.startsWith('--'));
  const unknown = ids.filter((id) => !MODEL_SPECS.some((s) => s.id === id));
  if (unknown.length > 0) {
    throw new Error(`Unknown model id ${unknown.join(', ')}; choose from ${MODEL_SPECS.map((s) => s.id).join(', ')}.`);
  }
  const chosen = MODEL_SPECS.filter((s) => ids.length === 0 || ids.includes(s.id));
  if (!(await tf.setBackend('wasm'))) throw new Error('The TF.js WASM backend failed to start; reinstall node_modules.');
  const test = loadSplit('t10k');
  const manifest = readManifestFile();
  if (verifyOnly) {
    for (const spec of chosen) {
      const entry = manifest.models.find((m) => m.id === spec.id);
      if (!entry) throw new Error(`${spec.id} is not in the manifest; train it first.`);
      await verifySaved(spec.id, entry.testAccuracy, test);
    }
    return;
  }
  const train = loadSplit('train');
  for (const spec of chosen) {
    const { accuracy, params } = await trainOne(spec, train, test);
    const entry = manifestEntry(spec, accuracy, params);
    // The MLPs in MODEL_SPECS order, then the entries other scripts wrote (trainCnn.ts's cnn) as they were.
    manifest.models = [
      ...MODEL_SPECS.map((s) => (s.id === spec.id ? entry : manifest.models.find((m) => m.id === s.id))).filter((m) => m !== undefined),
      ...manifest.models.filter((m) => !MODEL_SPECS.some((s) => s.id === m.id)),
    ];
    writeManifestFile(manifest);
  }
  console.log(`live tensors at exit: ${tf.memory().numTensors}`);
}

await main();
