import * as tf from '@tensorflow/tfjs';
import type { LayerKind } from './kind';
import type { ActivationInternals } from './dense';
import type { FactorSite, GroupedExportFactors, SiteForm } from '../exportLayers';
import { convGeometry, filterOf, kernelToMatrix, matrixToKernel, patches, patchSize, type ConvGeometry } from './patches';

/**
 * Conv2D by flattened SVD: the kernel kh x kw x c_in x c_out is the matrix
 * (c_in kh kw) x c_out (rows channel-major, see patches.ts). Rank k becomes
 * Conv2D(k filters, the original window, strides, padding and dilation, no
 * bias) then Conv2D(c_out, 1 x 1, the original bias and activation); the lab
 * runs the same two convolutions.
 */

/** Each layer's geometry, read once: forward() runs on every piece of every pass, and getConfig() serializes the whole layer. */
const geometries = new WeakMap<tf.layers.Layer, ConvGeometry>();

function geometryOf(layer: tf.layers.Layer): ConvGeometry {
  let g = geometries.get(layer);
  if (!g) geometries.set(layer, (g = convGeometry(layer.getConfig(), layer.getWeights()[0].shape as number[])));
  return g;
}

/** The convolution of `h` by a (c_in kh kw) x units matrix, as the layer's window would apply it. */
function convolve(h: tf.Tensor, matrix: tf.Tensor2D, g: ConvGeometry): tf.Tensor4D {
  return tf.conv2d(h as tf.Tensor4D, filterOf(matrix, g), g.strides, g.padding, 'NHWC', g.dilation);
}

/** `z` (N x H x W x k) mixed by a k x n matrix at every position: a 1 x 1 convolution, as a product of rows. */
function pointwise(z: tf.Tensor4D, b: tf.Tensor2D): tf.Tensor4D {
  const [n, h, w, k] = z.shape;
  return tf.reshape(tf.matMul(tf.reshape(z, [n * h * w, k]), b), [n, h, w, b.shape[1]]);
}

export const conv2dKind: LayerKind = {
  classNames: ['Conv2D'],
  kernelIsOperator: false,
  projectable: false,
  unsupported(layer) {
    try {
      geometryOf(layer);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  },
  describe(layer, values) {
    const config = layer.getConfig();
    const shape = layer.getWeights()[0].shape as number[];
    const hasBias = config.useBias !== false && values.length > 1;
    return {
      kernelShape: [shape[0] * shape[1] * shape[2], shape[3]],
      channels: shape[2],
      weightShape: [...shape],
      hasBias,
      activation: typeof config.activation === 'string' ? config.activation : 'linear',
      kernel: kernelToMatrix(values[0], shape),
      bias: hasBias ? Float32Array.from(values[1]) : null,
    };
  },
  inputRows(layer, h, m) {
    const g = geometryOf(layer);
    if (patchSize(g) !== m) throw new Error(`${layer.name}: patches of ${patchSize(g)} values do not fit a kernel of ${m} rows`);
    return tf.reshape(patches(h as tf.Tensor4D, g), [-1, m]);
  },
  forward(layer, h, weights, bias, activate) {
    const g = geometryOf(layer);
    let z: tf.Tensor4D;
    switch (weights.kind) {
      case 'own': z = tf.conv2d(h as tf.Tensor4D, layer.getWeights()[0] as tf.Tensor4D, g.strides, g.padding, 'NHWC', g.dilation); break;
      case 'factors': z = pointwise(convolve(h, weights.a, g), weights.b); break;
      case 'kernel': z = convolve(h, weights.kernel, g); break;
      case 'projected': throw new Error(`${layer.name}: a convolution's input is not projected (projectable: false)`);
    }
    if (bias) z = tf.add(z, bias);
    return activate ? (layer as unknown as ActivationInternals).activation.apply(z) : z;
  },
  // The 1 x 1 mix repeats each group's B for every input channel of the group (see convGroupedLayers).
  groupedFileParams: (m, n, channels, groups, rank) => rank * (m + (groups > 1 ? channels : 1) * n),
  siteForm(layer, inputSpec): SiteForm {
    const g = geometryOf(layer);
    const [kh, kw] = g.kernelSize;
    return {
      map: (units, name) => tf.layers.conv2d({
        filters: units,
        kernelSize: g.kernelSize,
        strides: g.strides,
        padding: g.padding,
        dilationRate: g.dilation,
        useBias: false,
        name,
        ...inputSpec,
      }),
      mapKernel: (matrix) => filterOf(matrix, g),
      mapValues: (matrix, units) => ({ values: matrixToKernel(matrix, kh, kw, g.channels, units), shape: [kh, kw, g.channels, units] }),
      mix: (n, name, activation, useBias) => tf.layers.conv2d({ filters: n, kernelSize: 1, activation: activation as never, useBias, name }),
      mixShape: (units, n) => [1, 1, units, n],
      grouped: (site, f) => convGroupedLayers(site, f, g, inputSpec),
    };
  },
};

/**
 * ALDS channel groups of a Conv2D with stock layers (TF.js has no grouped
 * convolution): DepthwiseConv2D `<name>_u` with the layer's window and
 * depth multiplier `rank`, whose kernel kh x kw x c_in x rank holds, for
 * input channel c of group g, that channel's rows of a[g]; then a 1 x 1
 * Conv2D `<name>_v` whose kernel (c_in rank) x n repeats b[g] for every
 * channel c of group g, so it sums each group's rank outputs over its
 * channels and applies b[g], the bias and the activation. Exact, but the
 * 1 x 1 kernel stores c_in / groups copies of each b[g]: c_in rank n floats
 * where the grouped factors have groups rank n (the UI states both sizes).
 * (SeparableConv2D would be one layer, but TF.js's getConfig drops its
 * depthMultiplier, so the saved file would not load.)
 */
function convGroupedLayers(site: FactorSite, f: GroupedExportFactors, g: ConvGeometry, inputSpec: { batchInputShape?: Array<number | null> }): Array<[tf.layers.Layer, tf.Tensor[]]> {
  const { groups, rank } = f;
  const [kh, kw] = g.kernelSize;
  const c = g.channels;
  const perGroup = c / groups;
  if (!Number.isInteger(perGroup)) throw new RangeError(`${site.name}: ${groups} channel groups do not divide its ${c} input channels.`);
  const taps = kh * kw;
  // Depthwise layout [kh, kw, c, rank]: entry (t, ch, r) = a[g(ch)][(local(ch) taps + t), r]; TF.js numbers its outputs ch * rank + r.
  const depthwise = new Float32Array(taps * c * rank);
  const mixKernel = new Float32Array(c * rank * site.n);
  for (let ch = 0; ch < c; ch++) {
    const grp = Math.floor(ch / perGroup);
    const local = ch - grp * perGroup;
    for (let t = 0; t < taps; t++) {
      for (let r = 0; r < rank; r++) depthwise[(t * c + ch) * rank + r] = f.a[grp][(local * taps + t) * rank + r];
    }
    mixKernel.set(f.b[grp], ch * rank * site.n);
  }
  const perChannel = tf.layers.depthwiseConv2d({
    kernelSize: g.kernelSize,
    strides: g.strides,
    padding: g.padding,
    dilationRate: g.dilation,
    depthMultiplier: rank,
    useBias: false,
    name: `${site.name}_u`,
    ...inputSpec,
  });
  const mix = tf.layers.conv2d({ filters: site.n, kernelSize: 1, activation: site.activation as never, useBias: site.bias !== null, name: `${site.name}_v` });
  const mixWeight = site.own(tf.tensor4d(mixKernel, [1, 1, c * rank, site.n]));
  return [
    [perChannel, [site.own(tf.tensor4d(depthwise, [kh, kw, c, rank]))]],
    [mix, site.bias ? [mixWeight, site.bias] : [mixWeight]],
  ];
}
