import * as tf from '@tensorflow/tfjs';
import type { SymmetricQuantized } from '../core/quantize';

/**
 * The stock TF.js layers that stand in for one factorized Dense(n) layer in
 * a download, one builder per kind of factors. Every builder returns the
 * layers in order with the weights each one gets, so the caller can add them
 * to a Sequential and set the weights once all are built; nothing here
 * needs a custom layer class, so plain `tf.loadLayersModel` reads the file.
 */

/**
 * Float factors of a method other than plain SVD for one layer: A (m x k)
 * and B (k x n), row-major, k the plan's rank, with the bias (n) they come
 * with, if any. `kind` may be left out.
 */
export interface FloatExportFactors {
  kind?: 'float';
  a: Float32Array;
  b: Float32Array;
  bias?: Float32Array;
}

/**
 * SVD factors stored as integers (core/quantizeFactors): U (m x k) quantized
 * per column (k scales), the k float32 singular values, V^T (k x n)
 * quantized per column (n scales), all at one bit width (8 or 4). The
 * kernel they stand for is deq(U) diag(s) deq(V^T). The rank is u.cols.
 */
export interface QuantizedExportFactors {
  kind: 'quantized';
  u: SymmetricQuantized;
  singularValues: Float32Array;
  vt: SymmetricQuantized;
  bias?: Float32Array;
}

/**
 * ALDS channel groups: the kernel's m input rows split into `groups`
 * contiguous chunks of m / groups rows; group g has its own rank-`rank`
 * factors a[g] ((m / groups) x rank) and b[g] (rank x n), row-major, and the
 * kernel is the row-stack of the products a[g] b[g].
 */
export interface GroupedExportFactors {
  kind: 'grouped';
  groups: number;
  rank: number;
  a: Float32Array[];
  b: Float32Array[];
  bias?: Float32Array;
}

/** Factors that replace one Dense layer's kernel in the download, by kind (float when `kind` is absent). */
export type ExportFactors = FloatExportFactors | QuantizedExportFactors | GroupedExportFactors;

/** Where a set of factors goes: the Dense layer they replace and what its replacement must keep. */
export interface FactorSite {
  /** The Dense layer's name; the new layers are named after it. */
  name: string;
  /** Inputs of the kernel (m). */
  m: number;
  /** Outputs of the kernel (n). */
  n: number;
  /** The Dense layer's activation as its config names it, e.g. 'relu' or 'linear'. */
  activation: string;
  /** The n-vector added before the activation, or null when the layer has no bias. */
  bias: tf.Tensor1D | null;
  /** `{ batchInputShape }` when the Dense layer comes first in the model, else `{}`. */
  inputSpec: { batchInputShape?: Array<number | null> };
  /** Registers a tensor made for the new layers; the caller disposes it after setting the weights. */
  own<T extends tf.Tensor>(t: T): T;
}

/** A kernel stored as integer levels: what the caller writes as uint8 (q + qmax) in the shard. */
export interface IntegerKernel {
  /** The levels, in the kernel's row-major order, each in [-qmax, qmax]. */
  q: Int8Array;
  /** 127 for int8, 7 for int4. */
  qmax: number;
}

/**
 * The replacement of one Dense layer: stock layers in order with their
 * weights, and the kernels (by weight name, e.g. "fc1_u/kernel") that hold
 * integers and go into the shard as uint8.
 */
export interface FactorLayers {
  layers: Array<[tf.layers.Layer, tf.Tensor[]]>;
  integerKernels: Map<string, IntegerKernel>;
}

/**
 * Float factors A (m x k) and B (k x n) as Dense(k, linear, no bias)
 * `<name>_u` followed by Dense(n, activation, bias) `<name>_v`. Takes the
 * tensors as given (the caller owns them).
 */
export function floatFactorLayers(site: FactorSite, a: tf.Tensor2D, b: tf.Tensor2D): FactorLayers {
  const k = a.shape[1];
  const first = tf.layers.dense({ units: k, activation: 'linear', useBias: false, name: `${site.name}_u`, ...site.inputSpec });
  const second = tf.layers.dense({ units: site.n, activation: site.activation as never, useBias: site.bias !== null, name: `${site.name}_v` });
  return {
    layers: [[first, [a]], [second, site.bias ? [b, site.bias] : [b]]],
    integerKernels: new Map(),
  };
}

function checkGrouped(site: FactorSite, f: GroupedExportFactors): number {
  const { groups, rank, a, b } = f;
  if (!Number.isSafeInteger(groups) || groups < 1 || site.m % groups !== 0) {
    throw new RangeError(`${site.name}: ${groups} channel groups do not divide its ${site.m} inputs.`);
  }
  const rows = site.m / groups;
  if (!Number.isSafeInteger(rank) || rank < 1 || rank > Math.min(rows, site.n)) {
    throw new RangeError(`${site.name}: rank ${rank} does not fit groups of ${rows} x ${site.n}.`);
  }
  if (a.length !== groups || b.length !== groups) {
    throw new RangeError(`${site.name}: ${groups} groups need ${groups} factor pairs, got ${a.length} and ${b.length}.`);
  }
  a.forEach((ag, g) => {
    if (ag.length !== rows * rank || b[g].length !== rank * site.n) {
      throw new RangeError(`${site.name}: group ${g} factors of lengths ${ag.length}, ${b[g].length} do not fit [${rows}, ${rank}] x [${rank}, ${site.n}].`);
    }
  });
  return rows;
}

/**
 * ALDS channel groups with stock layers: Reshape `<name>_groups` to
 * [groups, 1, m / groups] (channels first: one channel per group), then
 * DepthwiseConv2D `<name>_u` with a 1 x (m / groups) kernel and depth
 * multiplier `rank` (its kernel [1, m / groups, groups, rank] holds a[g] in
 * channel g; TF.js numbers output channels g * rank + r), Flatten
 * `<name>_flat` to groups * rank values, and Dense(n, activation, bias)
 * `<name>_v` whose kernel is b[0]; b[1]; ... stacked, rows in (g, r) order.
 * Stores m rank + groups rank n floats, no zeros. One group is simply the
 * float two-Dense form. Throws RangeError when the factors do not fit.
 */
export function groupedFactorLayers(site: FactorSite, f: GroupedExportFactors): FactorLayers {
  const rows = checkGrouped(site, f);
  const { groups, rank } = f;
  if (groups === 1) {
    return floatFactorLayers(site, site.own(tf.tensor2d(f.a[0], [rows, rank])), site.own(tf.tensor2d(f.b[0], [rank, site.n])));
  }
  // Depthwise kernel layout [1, rows, groups, rank]: entry (i, g, r) = a[g][i, r].
  const depthwise = new Float32Array(site.m * rank);
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < rows; i++) {
      for (let r = 0; r < rank; r++) depthwise[(i * groups + g) * rank + r] = f.a[g][i * rank + r];
    }
  }
  const stacked = new Float32Array(groups * rank * site.n);
  f.b.forEach((bg, g) => stacked.set(bg, g * rank * site.n));
  const split = tf.layers.reshape({ targetShape: [groups, 1, rows], name: `${site.name}_groups`, ...site.inputSpec });
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
  return {
    layers: [
      [split, []],
      [perGroup, [site.own(tf.tensor4d(depthwise, [1, rows, groups, rank]))]],
      [join, []],
      [mix, site.bias ? [kernel, site.bias] : [kernel]],
    ],
    integerKernels: new Map(),
  };
}
