import * as tf from '@tensorflow/tfjs';
import type { LayerKind } from './kind';
import { floatFactorLayers, groupedFactorLayers } from '../exportLayers';
import { quantizedFactorLayers } from '../exportLayersQuantized';

/** The activation object TF.js keeps on a Dense layer; reused so any Keras activation works. */
interface DenseInternals {
  activation: { apply(x: tf.Tensor): tf.Tensor };
}

/**
 * Dense: the kernel is already the m x n matrix. Rank k becomes
 * Dense(k, linear, no bias) then Dense(n, activation, bias) in a download;
 * the lab computes act((x A_k) B_k + b), the same arithmetic.
 */
export const denseKind: LayerKind = {
  classNames: ['Dense'],
  kernelIsOperator: true,
  describe(layer, values) {
    const config = layer.getConfig();
    const shape = layer.getWeights()[0].shape;
    const hasBias = config.useBias !== false && values.length > 1;
    return {
      kernelShape: [shape[0] ?? 0, shape[1] ?? 0],
      hasBias,
      activation: typeof config.activation === 'string' ? config.activation : 'linear',
      kernel: Float32Array.from(values[0]),
      bias: hasBias ? Float32Array.from(values[1]) : null,
    };
  },
  inputRows(h, m) {
    return (h.rank === 2 ? h : tf.reshape(h, [-1, m])) as tf.Tensor2D;
  },
  forward(layer, h, weights, bias, activate) {
    const rows = () => this.inputRows(h, h.shape[h.shape.length - 1]);
    let z: tf.Tensor;
    switch (weights.kind) {
      case 'own': z = tf.matMul(rows(), layer.getWeights()[0] as tf.Tensor2D); break;
      case 'factors': z = tf.matMul(tf.matMul(rows(), weights.a), weights.b); break;
      case 'kernel': z = tf.matMul(rows(), weights.kernel); break;
      // Projected: the rows are the product's; `h` gives only the shape of an example.
      case 'projected': z = weights.product; break;
    }
    if (bias) z = tf.add(z, bias);
    if (h.rank !== 2) z = tf.reshape(z, [-1, ...h.shape.slice(1, -1), z.shape[1] as number]);
    return activate ? (layer as unknown as DenseInternals).activation.apply(z) : z;
  },
  exportLayers(site, given, svdFactors, k) {
    if (given?.kind === 'quantized') return quantizedFactorLayers(site, given);
    if (given?.kind === 'grouped') return groupedFactorLayers(site, given);
    if (k === null) throw new Error(`${site.name}: float factors need a rank in the plan`);
    const [a, b] = given ? [tf.tensor2d(given.a, [site.m, k]), tf.tensor2d(given.b, [k, site.n])] : svdFactors(k);
    return floatFactorLayers(site, site.own(a), site.own(b));
  },
};
