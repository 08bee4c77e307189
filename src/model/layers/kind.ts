import type * as tf from '@tensorflow/tfjs';
import type { SiteForm } from '../exportLayers';

/**
 * A kind of layer whose kernel the lab factorizes (Dense, Conv2D).
 * Everything that depends on the layer's own arithmetic lives in its
 * adapter, one file each, listed in layers/registry.ts: code elsewhere asks
 * the layer's `kind` and never tests a class name.
 */

/** What an adapter reads off a layer it recognizes. */
export interface KernelDescription {
  /** The kernel as a matrix: m inputs (rows) by n outputs. */
  kernelShape: [number, number];
  /** The kernel as the layer stores it, e.g. [5, 5, 16, 32] for a convolution (the matrix is then [400, 32]). */
  weightShape: number[];
  /** Input channels; the rows come in `channels` contiguous blocks of m / channels, one per channel (m for Dense). */
  channels: number;
  hasBias: boolean;
  activation: string;
  /** The kernel matrix (row-major m x n) and bias, as plain arrays copied from the layer's weight values. */
  kernel: Float32Array;
  bias: Float32Array | null;
}

/**
 * The weights a factorizable layer runs with: rank-k factors, a replacement
 * kernel, or the product (rows of X) A_k B_k already formed from a cached
 * projection (its pre-bias output as rows, N x n).
 */
export type LayerWeights =
  | { kind: 'own' }
  | { kind: 'factors'; a: tf.Tensor2D; b: tf.Tensor2D }
  | { kind: 'kernel'; kernel: tf.Tensor2D }
  | { kind: 'projected'; product: tf.Tensor2D };

export interface LayerKind {
  /** The Keras class names this adapter handles. */
  readonly classNames: readonly string[];
  /** Whether the kernel matrix's spectral norm is the layer's Lipschitz constant (true for Dense, not for a convolution's flattened kernel). */
  readonly kernelIsOperator: boolean;
  /**
   * Whether the evaluator may cache the projection rows(x) A_r of the
   * layer's input: a Dense input has a row per image, a convolution's a row
   * per image and output position (mlp-sized conv1 on 10,000 images: 784
   * MB), so a conv rank change runs the layer from its cached input instead.
   */
  readonly projectable: boolean;
  /** Why this layer cannot be factorized although its class has this kind (an unsupported config), or null. */
  unsupported(layer: tf.layers.Layer): string | null;
  /** The layer's kernel as a matrix, from its weight values (getWeights() order). */
  describe(layer: tf.layers.Layer, values: readonly Float32Array[]): KernelDescription;
  /** The layer's input batch `h` as rows of the kernel matrix's m (calibration inputs, projections): one per image for Dense, one per image and output position for a convolution. Call inside tf.tidy. */
  inputRows(layer: tf.layers.Layer, h: tf.Tensor, m: number): tf.Tensor2D;
  /**
   * The layer applied to its input `h` with `weights` and `bias` (null: no
   * bias), then its activation when `activate`. Allocates freely: call
   * inside tf.tidy.
   */
  forward(layer: tf.layers.Layer, h: tf.Tensor, weights: LayerWeights, bias: tf.Tensor1D | null, activate: boolean): tf.Tensor;
  /**
   * Floats the download's layers for ALDS channel groups store (without
   * bias): `groups` groups of rank `rank` of an m x n kernel with
   * `channels` input channels. The factors themselves are rank (m + groups
   * n); a form that cannot express groups exactly in stock layers stores
   * more.
   */
  groupedFileParams(m: number, n: number, channels: number, groups: number, rank: number): number;
  /**
   * The stock layers a download builds a replacement from (see SiteForm):
   * the map from the layer's input through an m x units matrix, and the mix
   * of units channels into n. `inputSpec` goes on the first layer built.
   */
  siteForm(layer: tf.layers.Layer, inputSpec: { batchInputShape?: Array<number | null> }): SiteForm;
}
