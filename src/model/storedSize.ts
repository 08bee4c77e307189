import { quantizedBytes } from '../core/quantize';
import { downloadExtraBytes, planSize, type GroupPlan, type RankPlan } from './plan';
import type { LayerInfo } from './labModel';
import { FACTOR_METHODS, type FactorMethodName } from './methods/registry';
import type { FactorMethod } from './methods/context';

/**
 * The one source of every size the lab shows for a configuration (ranks,
 * factor method, channel groups): the layer table's total, the metrics
 * note, the size chart's points and the download's prediction all read
 * storedSize, so they cannot disagree.
 *
 * Two numbers, because they differ for some methods:
 * - `bytes`, what the method stores in principle: float32 factors, or for
 *   SVD+int8/int4 the integer factors packed at their bit width (two int4
 *   values a byte) plus their float scales and singular values;
 * - `fileBytes`, what the download's weight shard really holds: TF.js has
 *   no 4-bit weights, so int4 takes one byte a value there as int8 does;
 *   the per-channel scales go out as BatchNormalization layers, which also
 *   store a mean and a variance per channel; ALDS groups of a Conv2D are
 *   written with repeats (see downloadExtraBytes).
 * model.json itself is not counted in either: it is text whose length
 * depends on layer names, shown apart once a download is made.
 */

/** A configuration's stored size in bytes, theoretical and in the downloaded weights. */
export interface StoredSize {
  /** What the method stores: float32 weights, or integer factors packed at their bit width. */
  bytes: number;
  /** Bytes of the download's weight shard (equal to `bytes` where every weight is a float32). */
  fileBytes: number;
  /** The original model's float32 weights. */
  originalBytes: number;
  /** The integer width of quantized factors, or null for float methods. */
  bits: 8 | 4 | null;
}

/** Bytes a quantized rank-k layer stores in principle: packed U and V^T with k + n scales, k float singular values. */
function quantizedLayerBytes(m: number, n: number, k: number, bits: 8 | 4): number {
  return quantizedBytes(m, k, bits, k) + quantizedBytes(k, n, bits, n) + 4 * k;
}

/**
 * Bytes the download's shard holds for a quantized rank-k layer (exportLayersQuantized.ts):
 * Q_U and Q_V one uint8 a value; BatchNormalization of k channels (gamma,
 * mean, variance) and of n channels (the same, plus beta where the layer has a bias).
 */
function quantizedLayerFileBytes(m: number, n: number, k: number, hasBias: boolean): number {
  return m * k + k * n + 12 * k + 12 * n + (hasBias ? 4 * n : 0);
}

/**
 * The stored size of `plan` under `method` (channel `groups` apply to grouped
 * methods only) for `layers`. Layers the plan leaves dense are float32
 * either way. Pure and cheap: every slider move can call it.
 */
export function storedSize(layers: readonly LayerInfo[], plan: RankPlan, method: FactorMethodName, groups: GroupPlan = {}): StoredSize {
  const entry: FactorMethod = FACTOR_METHODS[method];
  const grouping = entry.grouped ? groups : {};
  const size = planSize(layers, plan, grouping);
  const bits = entry.quantizedBits ?? null;
  let bytes: number = size.bytes;
  let fileBytes = size.bytes + downloadExtraBytes(layers, plan, grouping);
  if (bits !== null) {
    for (const [i, info] of layers.entries()) {
      const k = size.layers[i].rank;
      if (k === null || !info.factorizable) continue;
      const [m, n] = info.kernelShape;
      const floatBytes = size.layers[i].bytes; // float factors and bias
      const bias = info.hasBias ? 4 * n : 0;
      bytes += quantizedLayerBytes(m, n, k, bits) + bias - floatBytes;
      fileBytes += quantizedLayerFileBytes(m, n, k, info.hasBias) - floatBytes;
    }
  }
  return { bytes, fileBytes, originalBytes: size.originalBytes, bits };
}
