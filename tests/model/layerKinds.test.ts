import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { LAYER_KINDS, kindForClass, type LayerKindName } from '../../src/model/layers/registry';
import { useNodeBackend } from '../../src/cli/nodeEnv';
import { gaussianMatrix } from '../core/reference';

/**
 * Each layer kind's adapter against TF.js's own layer: its kernel matrix,
 * its forward pass with the layer's own weights and with full-rank factors
 * of that matrix, checked against layer.apply on seeded inputs. A new kind
 * gets these checks by adding a case here.
 */

const CASES: Record<LayerKindName, Array<{ label: string; make: () => tf.layers.Layer; input: number[] }>> = {
  dense: [
    { label: 'Dense 12 -> 5, relu, bias', make: () => tf.layers.dense({ units: 5, activation: 'relu', inputShape: [12] }), input: [7, 12] },
    { label: 'Dense 9 -> 4, no bias, tanh, on a 3-D input', make: () => tf.layers.dense({ units: 4, activation: 'tanh', useBias: false, inputShape: [3, 9] }), input: [2, 3, 9] },
  ],
};

beforeAll(async () => {
  await useNodeBackend('wasm');
});

const made: tf.layers.Layer[] = [];
afterAll(() => made.forEach((l) => l.dispose()));

describe.each(Object.keys(CASES) as LayerKindName[])('layer kind %s', (name) => {
  const kind = LAYER_KINDS[name];

  it.each(CASES[name].map((c) => [c.label, c] as const))('runs %s as TF.js does, with its own weights and with full-rank factors', (_label, c) => {
    const layer = c.make();
    made.push(layer);
    const x = tf.tensor(Float32Array.from(gaussianMatrix(1, c.input.reduce((a, b) => a * b, 1), 5)), c.input);
    layer.apply(x); // builds the weights
    expect(kindForClass(layer.getClassName())).toBe(name);
    const values = layer.getWeights().map((w) => w.dataSync() as Float32Array);
    const d = kind.describe(layer, values);
    const [m, n] = d.kernelShape;
    expect(d.kernel.length).toBe(m * n);
    const bias = d.bias ? tf.tensor1d(d.bias) : null;
    const want = (layer.apply(x) as tf.Tensor).dataSync();
    const own = tf.tidy(() => kind.forward(layer, x, { kind: 'own' }, bias, true).dataSync());
    // Full-rank factors A = W, B = I stand for the same map.
    const viaFactors = tf.tidy(() => kind.forward(layer, x, { kind: 'factors', a: tf.tensor2d(d.kernel, [m, n]), b: tf.eye(n) as tf.Tensor2D }, bias, true).dataSync());
    const viaKernel = tf.tidy(() => kind.forward(layer, x, { kind: 'kernel', kernel: tf.tensor2d(d.kernel, [m, n]) }, bias, true).dataSync());
    for (const got of [own, viaFactors, viaKernel]) {
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      // float32 products of length <= 12: measured 0 to 2.4e-7.
      expect(worst).toBeLessThan(2e-6);
    }
    const rows = tf.tidy(() => kind.inputRows(x, m).shape);
    expect(rows).toEqual([x.size / m, m]);
    bias?.dispose();
    x.dispose();
  });
});

it('knows no kind for layers the lab keeps as they are', () => {
  for (const cls of ['Conv2D', 'Dropout', 'Flatten', 'BatchNormalization', 'Softmax']) expect(kindForClass(cls)).toBeNull();
});
