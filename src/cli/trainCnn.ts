/**
 * Trains the lab's bundled CNN on the 60,000 MNIST training images and
 * writes it to `public/models/cnn/` (model.json + weights.bin), appending or
 * replacing its entry (id `cnn`, last) in `public/models/manifest.json`.
 *
 * Usage: `npm run train:cnn`, or `npx tsx src/cli/trainCnn.ts --verify`
 * (reload public/models/cnn and check its accuracy equals the manifest's).
 *
 * Why a hand-written loop: training runs on TF.js's WASM backend in Node
 * (tfjs-node is not installable, the cpu backend is far too slow for
 * convolutions), and that backend has no Conv2DBackpropFilter kernel, so
 * `model.fit` on a Conv2D fails. Here each convolution is tf.conv2d with a
 * custom gradient (`trainableConv`) built from forward convolutions only
 * (about 0.13 s per 128-image step, a minute per epoch, on one core), and the
 * model is trained over plain tf.variables with Adam. The stock layers'
 * weights are then set from those variables and the stock model's
 * predictions are checked against the training graph's.
 *
 * Two WASM pitfalls (tfjs 4.22) shaped this. Expressing the convolutions as
 * im2col patches times a matrix (src/model/layers/patches.ts) differentiates
 * correctly but takes ~3.6 s per 128-image step, ~3 s of it in Unpack (the
 * gradient of tf.stack): about half an hour per epoch. And the WASM
 * MaxPoolGrad (and MaxPoolWithArgmax) kernel is wrong for pooling windows
 * whose values are all negative; both pools here follow a ReLU, where it
 * agrees with the cpu backend exactly, so plain tf.maxPool is used.
 *
 * Reproducibility: seeded Glorot initialisers, our own seeded batch order
 * and dropout masks. Test data is only used to report accuracy after each
 * epoch, never to choose anything: the final epoch is what ships.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import type { MnistSample } from '../core/mnist';
import { mulberry32, seededPermutation, type Rng } from '../core/sampling';
import { saveLayersModelToDir } from './layersModelFiles';
import { manifestEntry, type ManifestEntry } from './modelSpecs';
import { MODELS_DIR, accuracyOf, loadSplit, predictAll, readManifestFile, verifySaved, writeManifestFile } from './trainingData';

const NUM_CLASSES = 10;
const SIDE = 28;
/** One image as the network takes it. */
const IMAGE = [SIDE, SIDE, 1];

/** The bundled CNN: conv5x5x16 - BN - ReLU - pool - conv5x5x32 - ReLU - pool - Dense 128 - Dropout - Dense 10. */
const CNN = {
  id: 'cnn',
  name: 'CNN conv5x5x16-conv5x5x32-128-10',
  description:
    'A small LeNet-style CNN: two 5x5 convolutions (16 and 32 filters, the first with batch normalization), ' +
    'each followed by 2x2 max pooling, then a 128-unit ReLU layer with dropout 0.3.',
  conv1: 16,
  conv2: 32,
  kernel: 5,
  hidden: 128,
  seed: 1998,
} as const;

/** The CNN's hyper-parameters (recorded in the manifest). */
export const CNN_TRAINING = {
  epochs: 8,
  batchSize: 128,
  optimizer: 'adam',
  learningRate: 0.001,
  dropout: 0.3,
  batchNormMomentum: 0.99,
  batchNormEpsilon: 0.001,
} as const;

/** Side of pool2's output: 28 -conv-> 24 -pool-> 12 -conv-> 8 -pool-> 4. */
const FLAT_SIDE = ((SIDE - CNN.kernel + 1) / 2 - CNN.kernel + 1) / 2;
const FLAT = FLAT_SIDE * FLAT_SIDE * CNN.conv2;

/**
 * The training graph's state, in the stock layers' shapes (conv kernels
 * kh x kw x c_in x c_out): trainable variables plus batch norm's moving statistics.
 */
interface CnnWeights {
  conv1W: tf.Variable; conv1B: tf.Variable;
  gamma: tf.Variable; beta: tf.Variable;
  movingMean: tf.Variable; movingVariance: tf.Variable;
  conv2W: tf.Variable; conv2B: tf.Variable;
  fc1W: tf.Variable; fc1B: tf.Variable;
  outW: tf.Variable; outB: tf.Variable;
}

/** Seeded Glorot-uniform kernels (fans as the stock layers compute them), zero biases, batch norm's identity. */
function initWeights(): CnnWeights {
  const variable = (init: tf.Tensor, trainable = true) => {
    const v = tf.variable(init, trainable);
    init.dispose();
    return v;
  };
  const glorot = (shape: number[], offset: number) => variable(tf.initializers.glorotUniform({ seed: CNN.seed + offset }).apply(shape));
  const fill = (n: number, value: number, trainable = true) => variable(tf.fill([n], value), trainable);
  return {
    conv1W: glorot([CNN.kernel, CNN.kernel, 1, CNN.conv1], 1), conv1B: fill(CNN.conv1, 0),
    gamma: fill(CNN.conv1, 1), beta: fill(CNN.conv1, 0),
    movingMean: fill(CNN.conv1, 0, false), movingVariance: fill(CNN.conv1, 1, false),
    conv2W: glorot([CNN.kernel, CNN.kernel, CNN.conv1, CNN.conv2], 2), conv2B: fill(CNN.conv2, 0),
    fc1W: glorot([FLAT, CNN.hidden], 3), fc1B: fill(CNN.hidden, 0),
    outW: glorot([CNN.hidden, NUM_CLASSES], 4), outB: fill(NUM_CLASSES, 0),
  };
}

/**
 * The filter gradient of a valid, stride-1 convolution as one forward
 * convolution with the batch as channels: the input [N, H, W, c_in] read as
 * [c_in, H, W, N] convolved with dy [N, oh, ow, c_out] read as an
 * oh x ow x N x c_out filter gives [c_in, kh, kw, c_out].
 */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const grad = tf.conv2d(tf.transpose(x, [3, 1, 2, 0]), tf.transpose(dy, [1, 2, 0, 3]), 1, 'valid');
  return tf.transpose(grad, [1, 2, 0, 3]);
}

/** The input gradient of a valid, stride-1 convolution: the "full" convolution of dy with the flipped kernel. */
function inputGradient(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = kernel.shape;
  const padded = tf.pad(dy, [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]]);
  return tf.conv2d(padded, tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]), 1, 'valid');
}

/**
 * tf.conv2d (valid, stride 1) with a gradient that needs only the WASM
 * backend's forward Conv2D. With `withInputGradient` false the input's gradient
 * is zeros (for the first layer, whose input is the data).
 */
function trainableConv(withInputGradient: boolean): (x: tf.Tensor4D, kernel: tf.Tensor) => tf.Tensor4D {
  return tf.customGrad(((x: tf.Tensor4D, kernel: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([x, kernel]);
    return {
      value: tf.conv2d(x, kernel, 1, 'valid'),
      gradFunc: (dy: tf.Tensor4D, [sx, sk]: tf.Tensor[]) =>
        [withInputGradient ? inputGradient(dy, sk as tf.Tensor4D) : tf.zerosLike(sx), filterGradient(sx as tf.Tensor4D, dy)],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D, kernel: tf.Tensor) => tf.Tensor4D;
}
const conv1 = trainableConv(false);
const conv2 = trainableConv(true);

/** 2x2 max pooling, stride 2. Only for inputs >= 0 (after a ReLU): see the file comment on WASM's MaxPoolGrad. */
function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

/**
 * The network's logits. Training mode normalises conv1's output with the
 * batch's mean and (biased) variance over N, H, W, returned in `stats` for
 * the moving averages, and applies `dropMask` (0 or 1/(1-rate) per unit).
 * Inference uses the moving statistics through tf.batchNorm, as the stock
 * BatchNormalization layer does. Call inside tf.tidy.
 */
function forward(v: CnnWeights, x: tf.Tensor4D, dropMask: tf.Tensor2D | null, stats?: { mean?: tf.Tensor; variance?: tf.Tensor }): tf.Tensor2D {
  const h1 = tf.add(conv1(x, v.conv1W), v.conv1B) as tf.Tensor4D;
  let bn: tf.Tensor4D;
  if (stats) {
    const { mean, variance } = tf.moments(h1, [0, 1, 2]);
    stats.mean = mean;
    stats.variance = variance;
    const normalised = tf.mul(tf.sub(h1, mean), tf.rsqrt(tf.add(variance, CNN_TRAINING.batchNormEpsilon)));
    bn = tf.add(tf.mul(normalised, v.gamma), v.beta) as tf.Tensor4D;
  } else {
    bn = tf.batchNorm(h1, v.movingMean, v.movingVariance, v.beta, v.gamma, CNN_TRAINING.batchNormEpsilon) as tf.Tensor4D;
  }
  const p1 = maxPool2(tf.relu(bn));
  const p2 = maxPool2(tf.relu(tf.add(conv2(p1, v.conv2W), v.conv2B) as tf.Tensor4D));
  let f1 = tf.relu(tf.add(tf.matMul(tf.reshape(p2, [-1, FLAT]), v.fc1W as tf.Tensor2D), v.fc1B)) as tf.Tensor2D;
  if (dropMask) f1 = tf.mul(f1, dropMask);
  return tf.add(tf.matMul(f1, v.outW as tf.Tensor2D), v.outB) as tf.Tensor2D;
}

/** Inputs [N, 28, 28, 1] in 0..1 and one-hot labels for the images at `indices`. */
function batchTensors(data: MnistSample, indices: Uint32Array): [tf.Tensor4D, tf.Tensor2D] {
  const size = data.rows * data.cols;
  const x = new Float32Array(indices.length * size);
  const y = new Float32Array(indices.length * NUM_CLASSES);
  indices.forEach((img, k) => {
    for (let p = 0; p < size; p++) x[k * size + p] = data.pixels[img * size + p] / 255;
    y[k * NUM_CLASSES + data.labels[img]] = 1;
  });
  return [tf.tensor4d(x, [indices.length, data.rows, data.cols, 1]), tf.tensor2d(y, [indices.length, NUM_CLASSES])];
}

/** Inverted-dropout mask [rows, cols] from our own stream: each unit kept with probability 1 - rate. */
function dropoutMask(rows: number, cols: number, rate: number, rng: Rng): tf.Tensor2D {
  const mask = new Float32Array(rows * cols);
  for (let i = 0; i < mask.length; i++) mask[i] = rng() < rate ? 0 : 1 / (1 - rate);
  return tf.tensor2d(mask, [rows, cols]);
}

/** The stock Sequential the app loads; layer names are part of the contract with src/model. */
function buildStockModel(): tf.Sequential {
  const model = tf.sequential({ name: 'cnn' });
  model.add(tf.layers.conv2d({ name: 'conv1', inputShape: [SIDE, SIDE, 1], filters: CNN.conv1, kernelSize: CNN.kernel, padding: 'valid', activation: 'linear' }));
  model.add(tf.layers.batchNormalization({ name: 'bn1', momentum: CNN_TRAINING.batchNormMomentum, epsilon: CNN_TRAINING.batchNormEpsilon }));
  model.add(tf.layers.activation({ name: 'relu1', activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2 }));
  model.add(tf.layers.conv2d({ name: 'conv2', filters: CNN.conv2, kernelSize: CNN.kernel, padding: 'valid', activation: 'relu' }));
  model.add(tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2 }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ name: 'fc1', units: CNN.hidden, activation: 'relu' }));
  model.add(tf.layers.dropout({ name: 'drop1', rate: CNN_TRAINING.dropout, seed: CNN.seed + 11 }));
  model.add(tf.layers.dense({ name: 'out', units: NUM_CLASSES, activation: 'softmax' }));
  return model;
}

/** Copies the trained variables into the stock model. */
function setStockWeights(model: tf.Sequential, v: CnnWeights): void {
  model.getLayer('conv1').setWeights([v.conv1W, v.conv1B]);
  // TF.js's BatchNormalization weights: gamma, beta, moving_mean, moving_variance.
  model.getLayer('bn1').setWeights([v.gamma, v.beta, v.movingMean, v.movingVariance]);
  model.getLayer('conv2').setWeights([v.conv2W, v.conv2B]);
  model.getLayer('fc1').setWeights([v.fc1W, v.fc1B]);
  model.getLayer('out').setWeights([v.outW, v.outB]);
}

/** Trains, checks, saves and re-verifies the CNN; returns its manifest entry. */
async function trainCnn(train: MnistSample, test: MnistSample): Promise<ManifestEntry> {
  const v = initWeights();
  const trainable = [v.conv1W, v.conv1B, v.gamma, v.beta, v.conv2W, v.conv2B, v.fc1W, v.fc1B, v.outW, v.outB];
  const optimizer = tf.train.adam(CNN_TRAINING.learningRate);
  const rng = mulberry32(CNN.seed);
  const inferGraph = (x: tf.Tensor) => forward(v, x as tf.Tensor4D, null);
  const { batchSize, dropout, batchNormMomentum: momentum } = CNN_TRAINING;
  console.log(`${CNN.id}: ${CNN.name}, seed ${CNN.seed}, batch ${batchSize}, ${CNN_TRAINING.epochs} epochs (wasm backend)`);
  const started = performance.now();
  for (let epoch = 1; epoch <= CNN_TRAINING.epochs; epoch++) {
    const t0 = performance.now();
    const order = seededPermutation(train.count, rng);
    let lossSum = 0;
    for (let start = 0; start < train.count; start += batchSize) {
      const batch = order.subarray(start, Math.min(train.count, start + batchSize));
      const [x, y] = batchTensors(train, batch);
      const mask = dropoutMask(batch.length, CNN.hidden, dropout, rng);
      const stats: { mean?: tf.Tensor; variance?: tf.Tensor } = {};
      const loss = optimizer.minimize(() => {
        const l = tf.losses.softmaxCrossEntropy(y, forward(v, x, mask, stats)) as tf.Scalar;
        tf.keep(stats.mean!);
        tf.keep(stats.variance!);
        return l;
      }, true, trainable)!;
      tf.tidy(() => {
        v.movingMean.assign(tf.add(tf.mul(v.movingMean, momentum), tf.mul(stats.mean!, 1 - momentum)));
        v.movingVariance.assign(tf.add(tf.mul(v.movingVariance, momentum), tf.mul(stats.variance!, 1 - momentum)));
      });
      lossSum += loss.dataSync()[0] * batch.length;
      tf.dispose([x, y, mask, loss, stats.mean!, stats.variance!]);
    }
    const seconds = (performance.now() - t0) / 1000;
    const acc = accuracyOf(predictAll(test, IMAGE, inferGraph), test);
    console.log(`  epoch ${epoch}  loss ${(lossSum / train.count).toFixed(4)}  test acc ${acc.toFixed(4)}  ${seconds.toFixed(1)} s`);
  }
  const trainingSeconds = (performance.now() - started) / 1000;
  console.log(`  trained in ${trainingSeconds.toFixed(1)} s`);

  const graphPredicted = predictAll(test, IMAGE, inferGraph);
  const graphAccuracy = accuracyOf(graphPredicted, test);
  const model = buildStockModel();
  setStockWeights(model, v);
  const stockPredicted = predictAll(test, IMAGE, (x) => model.predict(x) as tf.Tensor);
  const accuracy = accuracyOf(stockPredicted, test);
  const disagree = graphPredicted.filter((d, k) => d !== stockPredicted[k]).length;
  console.log(`  test accuracy: training graph ${graphAccuracy.toFixed(4)}, stock Sequential ${accuracy.toFixed(4)}; ` +
    `${disagree} of ${test.count} predictions differ`);
  if (disagree > 0) console.warn('  warning: the stock model and the training graph disagree; check the weight conversion.');
  const params = model.countParams();
  const files = await saveLayersModelToDir(model, join(MODELS_DIR, CNN.id));
  console.log(`  ${params} params; wrote model.json (${files.modelJsonBytes} B) + weights.bin (${files.weightsBytes} B)`);
  model.dispose();
  optimizer.dispose();
  tf.dispose(Object.values(v));
  await verifySaved(CNN.id, accuracy, test);
  return manifestEntry(CNN, accuracy, params, { ...CNN_TRAINING, seed: CNN.seed, seconds: Math.round(trainingSeconds) });
}

async function main(): Promise<void> {
  const verifyOnly = process.argv.slice(2).includes('--verify');
  if (!(await tf.setBackend('wasm'))) throw new Error('The TF.js WASM backend failed to start; reinstall node_modules.');
  const test = loadSplit('t10k');
  const manifest = readManifestFile();
  if (verifyOnly) {
    const entry = manifest.models.find((m) => m.id === CNN.id);
    if (!entry) throw new Error(`${CNN.id} is not in the manifest; run \`npm run train:cnn\` first.`);
    await verifySaved(CNN.id, entry.testAccuracy, test);
  } else {
    const entry = await trainCnn(loadSplit('train'), test);
    writeManifestFile({ models: [...manifest.models.filter((m) => m.id !== CNN.id), entry] });
  }
  console.log(`live tensors at exit: ${tf.memory().numTensors}`);
}

await main();
