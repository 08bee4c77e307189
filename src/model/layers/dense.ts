import * as tf from '@tensorflow/tfjs';
import type { LayerKind } from './kind';
import type { FactorSite, GroupedExportFactors, SiteForm } from '../exportLayers';

/** The activation object TF.js keeps on a Dense or Conv2D layer; reused so any Keras activation works. */
export interface ActivationInternals {
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
  projectable: true,
  unsupported: () => null,
  describe(layer, values) {
    const config = layer.getConfig();
    const shape = layer.getWeights()[0].shape;
    const hasBias = config.useBias !== false && values.length > 1;
    return {
      kernelShape: [shape[0] ?? 0, shape[1] ?? 0],
      channels: shape[0] ?? 0,
      weightShape: [shape[0] ?? 0, shape[1] ?? 0],
      hasBias,
      activation: typeof config.activation === 'string' ? config.activation : 'linear',
      kernel: Float32Array.from(values[0]),
      bias: hasBias ? Float32Array.from(values[1]) : null,
    };
  },
  inputRows(_layer, h, m) {
    return (h.rank === 2 ? h : tf.reshape(h, [-1, m])) as tf.Tensor2D;
  },
  forward(layer, h, weights, bias, activate) {
    const rows = () => this.inputRows(layer, h, h.shape[h.shape.length - 1]);
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
    return activate ? (layer as unknown as ActivationInternals).activation.apply(z) : z;
  },
  // Depthwise 1 x (m / groups) then Dense over groups rank values: the factors themselves.
  groupedFileParams: (m, n, _channels, groups, rank) => rank * (m + groups * n),
  siteForm(_layer, inputSpec): SiteForm {
    return {
      map: (units, name) => tf.layers.dense({ units, activation: 'linear', useBias: false, name, ...inputSpec }),
      mapKernel: (matrix) => tf.clone(matrix),
      mapValues: (matrix, units) => ({ values: matrix, shape: [matrix.length / units, units] }),
      mix: (n, name, activation, useBias) => tf.layers.dense({ units: n, activation: activation as never, useBias, name }),
      mixShape: (units, n) => [units, n],
      grouped: (site, f, rows) => denseGroupedLayers(site, f, rows, inputSpec),
    };
  },
};

/**
 * ALDS channel groups of a Dense layer with stock layers: Reshape
 * `<name>_groups` to [groups, 1, m / groups] (channels first: one channel
 * per group), then DepthwiseConv2D `<name>_u` with a 1 x (m / groups)
 * kernel and depth multiplier `rank` (its kernel [1, m / groups, groups,
 * rank] holds a[g] in channel g; TF.js numbers output channels g * rank +
 * r), Flatten `<name>_flat` to groups * rank values, and Dense(n,
 * activation, bias) `<name>_v` whose kernel is b[0]; b[1]; ... stacked,
 * rows in (g, r) order. Stores m rank + groups rank n floats, no zeros.
 */
function denseGroupedLayers(site: FactorSite, f: GroupedExportFactors, rows: number, inputSpec: { batchInputShape?: Array<number | null> }): Array<[tf.layers.Layer, tf.Tensor[]]> {
  const { groups, rank } = f;
  // Depthwise kernel layout [1, rows, groups, rank]: entry (i, g, r) = a[g][i, r].
  const depthwise = new Float32Array(site.m * rank);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < rows; i++) {
      for (let r = 0; r < rank; r++) depthwise[(i * groups + g) * rank + r] = f.a[g][i * rank + r];
    }
  }
  const stacked = new Float32Array(groups * rank * site.n);
  f.b.forEach((bg, g) => stacked.set(bg, g * rank * site.n));
  const split = tf.layers.reshape({ targetShape: [groups, 1, rows], name: `${site.name}_groups`, ...inputSpec });
  const perGroup = tf.layers.depthwiseConv2d({
    kernelSize: [1, rows],
    depthMultiplier: rank,
    dataFormat: 'channelsFirst',
    padding: 'valid',
    useBias: false,
    name: `${site.name}_u`,
  });
  const join = tf.layers.flatten({ name: `${site.name}_flat` });
  const mix = tf.layers.dense({ units: site.n, activation: site.activation as never, useBias: site.bias !== null, name: `${site.name}_v` });
  const kernel = site.own(tf.tensor2d(stacked, [groups * rank, site.n]));
  return [
    [split, []],
    [perGroup, [site.own(tf.tensor4d(depthwise, [1, rows, groups, rank]))]],
    [join, []],
    [mix, site.bias ? [kernel, site.bias] : [kernel]],
  ];
}
