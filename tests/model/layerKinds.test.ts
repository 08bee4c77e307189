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
  conv2d: [
    { label: 'Conv2D 3x3 2 -> 4, same, relu, bias', make: () => tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 6, 2] }), input: [2, 7, 6, 2] },
    { label: 'Conv2D 5x5 1 -> 3, valid', make: () => tf.layers.conv2d({ filters: 3, kernelSize: 5, inputShape: [9, 9, 1] }), input: [2, 9, 9, 1] },
    { label: 'Conv2D 3x3 3 -> 5, same, stride 2, no bias', make: () => tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', useBias: false, inputShape: [7, 7, 3] }), input: [2, 7, 7, 3] },
    { label: 'Conv2D 3x2 2 -> 4, valid, stride 2, tanh', make: () => tf.layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: 2, activation: 'tanh', inputShape: [8, 7, 2] }), input: [2, 8, 7, 2] },
    { label: 'Conv2D 3x3 2 -> 3, same, dilation 2', make: () => tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', dilationRate: 2, inputShape: [9, 8, 2] }), input: [2, 9, 8, 2] },
    { label: 'Conv2D 2x3 3 -> 4, valid, dilation 2, relu', make: () => tf.layers.conv2d({ filters: 4, kernelSize: [2, 3], dilationRate: 2, activation: 'relu', inputShape: [9, 9, 3] }), input: [1, 9, 9, 3] },
    { label: 'Conv2D 1x1 6 -> 4', make: () => tf.layers.conv2d({ filters: 4, kernelSize: 1, inputShape: [5, 5, 6] }), input: [2, 5, 5, 6] },
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
      // float32 sums of <= 25 products of values < ~4: measured 0 to 9.5e-7.
      expect(worst).toBeLessThan(4e-6);
    }
    // The input rows times the kernel matrix are the layer's output before bias, one row per output position.
    const [viaRows, plain] = tf.tidy(() => [
      tf.matMul(kind.inputRows(layer, x, m), tf.tensor2d(d.kernel, [m, n])).dataSync(),
      kind.forward(layer, x, { kind: 'own' }, null, false).dataSync(),
    ]);
    expect(viaRows.length).toBe(plain.length);
    let worst = 0;
    for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(viaRows[i] - plain[i]));
    expect(worst).toBeLessThan(4e-6);
    bias?.dispose();
    x.dispose();
  });
});

it('knows no kind for layers the lab keeps as they are', () => {
  for (const cls of ['DepthwiseConv2D', 'SeparableConv2D', 'Dropout', 'Flatten', 'BatchNormalization', 'Softmax']) expect(kindForClass(cls)).toBeNull();
});
