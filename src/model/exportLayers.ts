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

/**
 * The stock layers a replacement is built from, by the kind of layer
 * replaced (layers/): for Dense, Dense layers; for a Conv2D, a Conv2D with
 * the original window, then 1 x 1 convolutions.
 */
export interface SiteForm {
  /** A stock layer taking the site's input through an m x units matrix, without bias (carries the site's input spec when it comes first). */
  map(units: number, name: string): tf.layers.Layer;
  /** `map`'s kernel in its layer's layout, from an m x units matrix (a Dense kernel as is; a conv filter kh x kw x c_in x units). A new tensor. */
  mapKernel(matrix: tf.Tensor2D): tf.Tensor;
  /** The same layout for plain values (row-major m x units), e.g. the integer levels of a quantized kernel. */
  mapValues<T extends Float32Array | Int8Array>(matrix: T, units: number): { values: T; shape: number[] };
  /** A stock layer mixing its input's channels into `n` at every position: Dense, or a 1 x 1 Conv2D. */
  mix(n: number, name: string, activation: string, useBias: boolean): tf.layers.Layer;
  /** The shape of `mix`'s kernel for a row-major units x n matrix (the values stay in order). */
  mixShape(units: number, n: number): number[];
  /** Channel groups (ALDS: group g's rows-by-rank a[g], rank-by-n b[g]) as stock layers with their weights, in order; weights registered with `site.own`. */
  grouped(site: FactorSite, f: GroupedExportFactors, rows: number): Array<[tf.layers.Layer, tf.Tensor[]]>;
}

/** Where a set of factors goes: the layer they replace and what its replacement must keep. */
export interface FactorSite {
  /** The layer's name; the new layers are named after it. */
  name: string;
  /** Inputs of the kernel matrix (m). */
  m: number;
  /** Outputs of the kernel (n). */
  n: number;
  /** The layer's activation as its config names it, e.g. 'relu' or 'linear'. */
  activation: string;
  /** The n-vector added before the activation, or null when the layer has no bias. */
  bias: tf.Tensor1D | null;
  /** The stock layers this kind of layer is rebuilt from. */
  form: SiteForm;
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
 * Float factors A (m x k) and B (k x n) as the form's map through A
 * `<name>_u` (no bias) followed by its mix through B `<name>_v` with the
 * activation and bias. Takes the tensors' values as given (the caller owns
 * `a` and `b`).
 */
export function floatFactorLayers(site: FactorSite, a: tf.Tensor2D, b: tf.Tensor2D): FactorLayers {
  const k = a.shape[1];
  const first = site.form.map(k, `${site.name}_u`);
  const second = site.form.mix(site.n, `${site.name}_v`, site.activation, site.bias !== null);
  const mapKernel = site.own(tf.tidy(() => site.form.mapKernel(a)));
  const mixKernel = site.own(tf.reshape(b, site.form.mixShape(k, site.n)));
  return {
    layers: [[first, [mapKernel]], [second, site.bias ? [mixKernel, site.bias] : [mixKernel]]],
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
 * ALDS channel groups: the form's grouped layers (see denseGroupedLayers and
 * the Conv2D adapter). One group is simply the float two-layer form.
 * Throws RangeError when the factors do not fit.
 */
export function groupedFactorLayers(site: FactorSite, f: GroupedExportFactors): FactorLayers {
  const rows = checkGrouped(site, f);
  if (f.groups === 1) {
    return floatFactorLayers(site, site.own(tf.tensor2d(f.a[0], [rows, f.rank])), site.own(tf.tensor2d(f.b[0], [f.rank, site.n])));
  }
  return { layers: site.form.grouped(site, f, rows), integerKernels: new Map() };
}
