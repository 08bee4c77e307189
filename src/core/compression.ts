/**
 * Size arithmetic for low-rank factorization of Dense kernels.
 *
 * Convention throughout: a Dense kernel W has shape [m, n] with m inputs and
 * n outputs (the TF.js/Keras layout), so y = x W + b with a bias of length n.
 * Rank-k factorization replaces W by A (m x k) times B (k x n), storing
 * k (m + n) numbers instead of m n; the bias is kept as it is.
 */
import {
  asBytes,
  asCompressionRatio,
  asParamCount,
  asRank,
  RankOutOfRangeError,
  type Bytes,
  type CompressionRatio,
  type ParamCount,
  type Rank,
} from './units';

// Zero dimensions are allowed: a 0 x 0 "kernel" is how a plan entry says
// "this layer has no kernel", and it takes part in the arithmetic naturally
// (no parameters, no rank).
function checkKernelShape(m: number, n: number): void {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || n < 0) {
    throw new RangeError(`A kernel shape must be two non-negative integers, got [${m}, ${n}].`);
  }
}

// Channel groups (ALDS): the m input rows split into `groups` contiguous
// chunks of m / groups rows, each chunk factorized on its own at rank k, so
// a group's factors are (m / groups) x k and k x n.
function checkRank(m: number, n: number, k: Rank, groups = 1): void {
  checkKernelShape(m, n);
  if (!Number.isSafeInteger(groups) || groups < 1 || (m > 0 && m % groups !== 0)) {
    throw new RangeError(`${groups} channel groups do not divide the ${m} inputs of a ${m}x${n} kernel.`);
  }
  const limit = Math.min(m / groups, n);
  if (k > limit) throw new RankOutOfRangeError(k, limit, groups === 1 ? `a ${m}x${n} kernel` : `a ${m}x${n} kernel in ${groups} channel groups`);
}

/**
 * The largest rank an m x n kernel has, min(m, n). Throws RangeError unless
 * m and n are positive integers.
 */
export function maxRank(m: number, n: number): Rank {
  checkKernelShape(m, n);
  if (m === 0 || n === 0) throw new RangeError(`A ${m}x${n} kernel is empty and has no rank.`);
  return asRank(Math.min(m, n));
}

/**
 * Parameters of the dense layer: m n kernel entries, plus n bias entries when
 * `hasBias`. Throws RangeError on a negative or fractional shape.
 */
export function denseParams(m: number, n: number, hasBias: boolean): ParamCount {
  checkKernelShape(m, n);
  return asParamCount(m * n + (hasBias ? n : 0));
}

/**
 * Parameters of the rank-k factorized layer: k (m + n) for the two factors,
 * or k (m + groups n) when the inputs are split into `groups` channel groups
 * each with its own factors, plus n bias entries when `hasBias`. This is the
 * count whether or not it is smaller than {@link denseParams}; see
 * {@link layerParams} for what is stored. Throws {@link RankOutOfRangeError}
 * when k > min(m / groups, n), RangeError when groups does not divide m.
 */
export function factorizedParams(m: number, n: number, k: Rank, hasBias: boolean, groups = 1): ParamCount {
  checkRank(m, n, k, groups);
  return asParamCount(k * (m + groups * n) + (hasBias ? n : 0));
}

/**
 * Kernel-only compression ratio m n / (k (m + n)), the ratio the NN-SVD
 * literature quotes (biases excluded). Below 1 when the factors are larger
 * than the kernel. Throws {@link RankOutOfRangeError} when k > min(m, n).
 */
export function compressionRatio(m: number, n: number, k: Rank, groups = 1): CompressionRatio {
  checkRank(m, n, k, groups);
  return asCompressionRatio((m * n) / (k * (m + groups * n)));
}

/**
 * True when factorizing at rank k would not shrink the kernel,
 * k (m + n) >= m n; such a layer is exported dense, unchanged. The boundary
 * case k (m + n) = m n counts as kept dense: equal size buys no saving but
 * costs an extra matmul and an approximation. Full rank k = min(m, n) is
 * always kept dense. With channel groups the factors take k (m + groups n).
 */
export function isKeptDense(m: number, n: number, k: Rank, groups = 1): boolean {
  checkRank(m, n, k, groups);
  return k * (m + groups * n) >= m * n;
}

/**
 * The largest rank whose factorization still shrinks the kernel, i.e. the
 * largest k with k (m + n) < m n, or null when no rank does (e.g. a 1 x n
 * kernel or a 2 x 2 one). Useful as the top of a rank slider.
 */
export function largestShrinkingRank(m: number, n: number): Rank | null {
  checkKernelShape(m, n);
  if (m === 0 || n === 0) return null;
  // Largest integer strictly below mn / (m + n), computed in integers so the
  // boundary k (m + n) = m n is exact.
  const k = Math.floor((m * n - 1) / (m + n));
  return k >= 1 ? asRank(k) : null;
}

/**
 * Parameters actually stored for the layer when it is planned at rank k:
 * the factorized count when that is smaller, otherwise the dense count (see
 * {@link isKeptDense}). A `null` rank means "not factorized" and gives the
 * dense count.
 */
export function layerParams(m: number, n: number, k: Rank | null, hasBias: boolean, groups = 1): ParamCount {
  if (k === null || isKeptDense(m, n, k, groups)) return denseParams(m, n, hasBias);
  return factorizedParams(m, n, k, hasBias, groups);
}

/** Bytes taken by `params` float32 values (4 bytes each), no header or padding. */
export function float32Bytes(params: ParamCount): Bytes {
  return asBytes(4 * params);
}

/**
 * One layer of a model in a compression plan. `m` x `n` is its kernel
 * (inputs x outputs); any other weight that can be read as a matrix (a
 * Conv2D kernel reshaped to [kh*kw*cin, cout]) fits as well. A layer with no
 * kernel (Flatten, BatchNormalization) is an entry with m = n = 0,
 * hasBias false and rank null. `rank` is the planned rank, or null when the
 * layer is not to be factorized (not factorizable, or left at full rank).
 * `otherParams` counts parameters stored unchanged beside the kernel and
 * bias (all of a kernel-free layer's weights, e.g. BatchNormalization's 4 n).
 */
export interface LayerPlan {
  readonly m: number;
  readonly n: number;
  readonly hasBias: boolean;
  readonly rank: Rank | null;
  readonly otherParams: number;
  /** Channel groups of the factorization (ALDS); 1 when absent. */
  readonly groups?: number;
}

/** Size of one {@link LayerPlan} entry before and after compression. */
export interface LayerSize {
  readonly originalParams: ParamCount;
  readonly compressedParams: ParamCount;
  /** True when the layer is stored as two factors; false when kept dense. */
  readonly factorized: boolean;
}

/**
 * Whole-model sizes for a plan. Unlike {@link compressionRatio}, `ratio`
 * includes biases and `otherParams`, so it is what the exported file shrinks
 * by (up to format overhead). Bytes assume float32 storage.
 */
export interface ModelSizeSummary {
  readonly originalParams: ParamCount;
  readonly compressedParams: ParamCount;
  readonly originalBytes: Bytes;
  readonly compressedBytes: Bytes;
  /** originalParams / compressedParams; 1 for an empty plan. */
  readonly ratio: CompressionRatio;
  /** Number of entries stored as factors (the rest are kept dense). */
  readonly factorizedLayers: number;
  /** Per-entry sizes, in the order of the plan. */
  readonly layers: readonly LayerSize[];
}

/**
 * Totals a compression plan: what the model stores now and what it will
 * store once each layer is factorized at its planned rank (layers where that
 * would not shrink the kernel stay dense). Pure; throws RangeError on a bad
 * shape, a negative or fractional `otherParams`, and
 * {@link RankOutOfRangeError} on a rank above min(m, n).
 */
export function summarizeModelSize(plan: readonly LayerPlan[]): ModelSizeSummary {
  let original = 0;
  let compressed = 0;
  let factorizedLayers = 0;
  const layers: LayerSize[] = [];
  for (const layer of plan) {
    const other = asParamCount(layer.otherParams);
    const before = denseParams(layer.m, layer.n, layer.hasBias) + other;
    const after = layerParams(layer.m, layer.n, layer.rank, layer.hasBias, layer.groups) + other;
    const factorized = after < before;
    if (factorized) factorizedLayers += 1;
    layers.push({
      originalParams: asParamCount(before),
      compressedParams: asParamCount(after),
      factorized,
    });
    original += before;
    compressed += after;
  }
  const originalParams = asParamCount(original);
  const compressedParams = asParamCount(compressed);
  return {
    originalParams,
    compressedParams,
    originalBytes: float32Bytes(originalParams),
    compressedBytes: float32Bytes(compressedParams),
    ratio: asCompressionRatio(compressed === 0 ? 1 : original / compressed),
    factorizedLayers,
    layers,
  };
}
