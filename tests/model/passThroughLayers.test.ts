import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { readSample, useNodeBackend, nodeSvd } from '../../src/cli/nodeEnv';
import { LabSession } from '../../src/model/session';
import { asRank } from '../../src/core/units';
import { artifactsOf } from '../helpers/fixtures';
import { firstImages, type MnistSample } from '../../src/core/mnist';
import { stockClasses } from '../helpers/stockPredict';

/**
 * Issue 9, item 4: layers the lab passes through untouched. A chain holding
 * every one of them opens, scores as stock predict() does, keeps a Dense
 * rank change equal between the cached and the uncached path, exports to a
 * file stock TF.js loads with the same predictions, and says on each
 * kept layer's row why it is kept.
 */

/** Every pass-through layer of the issue in one chain on 28x28x1 images, seeded weights, a batch norm with its own statistics. */
function passThroughModel(): tf.Sequential {
  const seed = (n: number) => tf.initializers.glorotUniform({ seed: n });
  const m = tf.sequential({ name: 'pass_through' });
  m.add(tf.layers.conv2d({ name: 'conv', inputShape: [28, 28, 1], filters: 4, kernelSize: 3, activation: 'linear', kernelInitializer: seed(1) }));
  m.add(tf.layers.batchNormalization({ name: 'bn' }));
  m.add(tf.layers.reLU({ name: 'relu' }));
  m.add(tf.layers.zeroPadding2d({ name: 'pad', padding: 1 }));
  m.add(tf.layers.depthwiseConv2d({ name: 'depthwise', kernelSize: 3, depthwiseInitializer: seed(2) }));
  m.add(tf.layers.separableConv2d({ name: 'separable', filters: 8, kernelSize: 3, depthwiseInitializer: seed(3), pointwiseInitializer: seed(4) }));
  m.add(tf.layers.maxPooling2d({ name: 'maxpool', poolSize: 2 }));
  m.add(tf.layers.averagePooling2d({ name: 'avgpool', poolSize: 2 }));
  m.add(tf.layers.activation({ name: 'act', activation: 'relu' }));
  m.add(tf.layers.dropout({ name: 'drop', rate: 0.3 }));
  m.add(tf.layers.reshape({ name: 'reshape', targetShape: [6, 6, 8] }));
  m.add(tf.layers.globalAveragePooling2d({ name: 'gap' }));
  m.add(tf.layers.dense({ name: 'fc', units: 16, activation: 'relu', kernelInitializer: seed(5) }));
  m.add(tf.layers.dense({ name: 'logits', units: 10, kernelInitializer: seed(6) }));
  m.add(tf.layers.softmax({ name: 'softmax' }));
  // Moving statistics away from 0 and 1, so that inference-mode batch norm is not the identity.
  const bn = m.getLayer('bn');
  const stats = bn.getWeights().map((w, i) => tf.tidy(() => (i === 3 ? tf.add(tf.randomUniform(w.shape, 0, 1, 'float32', 7), 0.5) : tf.randomNormal(w.shape, 0, 0.5, 'float32', 8 + i))));
  bn.setWeights(stats);
  tf.dispose(stats);
  return m;
}

/** Stock predictions (argmax) of `model` on `sample`'s images, scaled to [0, 1] as the lab scales them. */
function stockPredictions(model: tf.LayersModel, sample: MnistSample): Int32Array {
  return stockClasses(model, sample.pixels, sample.count);
}

function accuracyOf(pred: Int32Array, sample: MnistSample): number {
  return pred.reduce((n, p, i) => n + (p === sample.labels[i] ? 1 : 0), 0) / sample.count;
}

describe('layers passed through untouched', () => {
  it('open, score as stock predict() does, and export a file stock TF.js predicts the same with', async () => {
    await useNodeBackend('wasm');
    const sample = firstImages(await readSample('test'), 600);
    const before = tf.memory().numTensors;
    const model = passThroughModel();
    const artifacts = await artifactsOf(model);
    const sessions = await Promise.all([{}, { reuse: false }].map((evaluation) =>
      LabSession.open(artifacts, 'pass-through', sample, nodeSvd, undefined, undefined, undefined, evaluation)));
    const [cached, plain] = sessions;
    try {
      const rows = Object.fromEntries(cached.layers.map((l) => [l.name, l]));
      expect(cached.layers.filter((l) => l.factorizable).map((l) => l.name)).toEqual(['conv', 'fc', 'logits']);
      expect(rows.depthwise.reason).toMatch(/one filter per channel/);
      expect(rows.separable.reason).toMatch(/already factorized/);
      expect(rows.bn.reason).toMatch(/BatchNormalization has no 2-D kernel/);
      expect(rows.maxpool.reason).toBe('has no weights');
      // The original model: every prediction as stock predict() makes it.
      expect(cached.data.referenceAccuracy).toBe(accuracyOf(stockPredictions(model, sample), sample));
      // Rank changes of conv and fc: the cached path (from the kept inputs) scores as the path from the images does.
      const plan = { conv: asRank(2), fc: asRank(3), logits: asRank(4) };
      const got = await cached.evaluate(plan);
      const want = await plain.evaluate(plan);
      expect(got.accuracy).toBe(want.accuracy);
      expect(got.relativeLogitError).toBeCloseTo(want.relativeLogitError, 5);
      // The download: stock TF.js loads it and predicts what the lab scored.
      const exported = await cached.exportModel(plan, 'pass-through');
      const json = JSON.parse(exported.modelJson) as { modelTopology: object; weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }> };
      const stock = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights), weightData: exported.weights }));
      try {
        expect(accuracyOf(stockPredictions(stock, sample), sample)).toBe(got.accuracy);
      } finally {
        stock.dispose();
      }
    } finally {
      sessions.forEach((s) => s.dispose());
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
