import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LabSession } from '../../src/model/session';
import { asRank } from '../../src/core/units';
import { firstImages, type MnistSample } from '../../src/core/mnist';
import { REPO_ROOT, nodeSvd, readModelFromDisk, readSample, useNodeBackend } from '../../src/cli/nodeEnv';

/**
 * The per-image predictions an evaluation returns, against stock TF.js:
 * model.predict's argmax for the original, and for a compressed plan the
 * same stock model with each kernel replaced by its rank-k approximation
 * U_k S_k V_k^T formed in the test. Also on the split paths (small tasks,
 * several chunks and pieces, every pass from the images), which must give
 * the same classes.
 */

const IMAGES = 1200;
let session: LabSession;
let split: LabSession;
let sample: MnistSample;

beforeAll(async () => {
  await useNodeBackend('wasm');
  sample = firstImages(await readSample('test'), IMAGES);
  const a = await readModelFromDisk(join(REPO_ROOT, 'public', 'models', 'mlp-64', 'model.json'));
  session = await LabSession.open(a.artifacts, a.name, sample, nodeSvd);
  split = await LabSession.open(a.artifacts, a.name, sample, nodeSvd, undefined, undefined, undefined, { taskMacs: 2e6, reuse: false });
}, 120_000);

afterAll(() => {
  session?.dispose();
  split?.dispose();
});

/** Stock predict's classes and top-2 logit margins, with `kernels` replacing layers' kernels (row-major m x n). */
function stockPredictions(kernels: Record<string, Float64Array> = {}): { classes: Int32Array; margins: Float32Array } {
  const model = session.lab.model;
  const saved = new Map<string, tf.Tensor[]>();
  try {
    for (const [name, w] of Object.entries(kernels)) {
      const layer = model.getLayer(name);
      const weights = layer.getWeights();
      saved.set(name, weights.map((t) => t.clone()));
      const replaced = tf.tensor(Float32Array.from(w), weights[0].shape);
      layer.setWeights([replaced, ...weights.slice(1)]);
      replaced.dispose();
    }
    return tf.tidy(() => {
      const x = tf.div(tf.tensor2d(sample.pixels, [sample.count, 784], 'float32'), 255);
      const logits = model.predict(x) as tf.Tensor2D;
      const top2 = tf.topk(logits, 2).values;
      const [first, second] = tf.split(top2, 2, 1);
      return { classes: tf.argMax(logits, -1).dataSync() as Int32Array, margins: tf.sub(first, second).dataSync() as Float32Array };
    });
  } finally {
    for (const [name, weights] of saved) {
      model.getLayer(name).setWeights(weights);
      tf.dispose(weights);
    }
  }
}

/** U_k S_k V_k^T of a layer from its SVD, formed entry by entry. */
function rankK(layer: string, k: number): Float64Array {
  const { u, s, v, m, n, r } = session.kernelSvd(layer)!;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let c = 0; c < k; c++) out[i * n + j] += u[i * r + c] * s[c] * v[j * r + c];
  return out;
}

/** Every class equal, except where stock TF.js's top two logits are within rounding of each other. */
function expectSameClasses(got: Int32Array, want: { classes: Int32Array; margins: Float32Array }): void {
  expect(got.length).toBe(want.classes.length);
  const differ = [...got.keys()].filter((i) => got[i] !== want.classes[i]);
  for (const i of differ) expect(want.margins[i], `image ${i}`).toBeLessThan(1e-4);
  expect(differ.length).toBeLessThan(3);
}

describe('per-image predictions of an evaluation', () => {
  it('leave no tensor behind in the stock comparison', () => {
    const before = tf.memory().numTensors;
    stockPredictions({ fc1: rankK('fc1', 2) });
    expect(tf.memory().numTensors).toBe(before);
  });

  it("are stock predict's argmax for the original model, and agree with the accuracy", async () => {
    const result = await session.evaluate({});
    expectSameClasses(result.predicted, stockPredictions());
    expect(result.originalPredicted).toEqual(result.predicted);
    const correct = result.predicted.filter((p, i) => p === sample.labels[i]).length;
    expect(correct / IMAGES).toBeCloseTo(result.accuracy, 10);
  });

  it('are the argmax of the stock model with rank-k kernels for a compressed plan', async () => {
    const plan = { fc1: asRank(3), fc2: asRank(5) };
    const result = await session.evaluate(plan);
    expectSameClasses(result.predicted, stockPredictions({ fc1: rankK('fc1', 3), fc2: rankK('fc2', 5) }));
    const agree = result.predicted.filter((p, i) => p === result.originalPredicted[i]).length;
    expect(agree / IMAGES).toBeCloseTo(result.agreement, 10);
    expect(result.agreement).toBeLessThan(1);
  });

  it('are the same when the evaluation runs in many small pieces', async () => {
    const plan = { fc1: asRank(4) };
    const a = await session.evaluate(plan);
    const before = split.data.chunks.length;
    const b = await split.evaluate(plan);
    expect(before).toBeGreaterThan(1);
    expect(split.data.lastPieces).toBeGreaterThan(before);
    expect(b.predicted).toEqual(a.predicted);
    expect(b.originalPredicted).toEqual(a.originalPredicted);
  });
});
