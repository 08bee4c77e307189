/**
 * Per-layer rank rules (the lab's issue 4): pick the rank of one Dense kernel
 * from its spectrum (energy rule) or from the error its truncation causes in
 * the layer's output on calibration inputs (output-error rule, as in
 * post-training SVD compression: the smallest rank whose output error stays
 * within a threshold, the layer kept dense when no shrinking rank does).
 *
 * Kernel convention: W is m x n (m inputs, n outputs), row-major, y = x W + b.
 * Model-wide allocation across layers lives in alds.ts; the outer search for
 * a target accuracy in knobSearch.ts.
 */
import { largestShrinkingRank, maxRank } from './compression';
import type { Svd } from './svd';
import { asRank, asRelativeError, RankOutOfRangeError, type Rank, type RelativeError } from './units';

/**
 * Energy rule: the smallest k with s_1^2 + ... + s_k^2 >= tau (s_1^2 + ... +
 * s_r^2), i.e. the rank that keeps a fraction tau of the squared Frobenius
 * norm. `s` holds singular values (>= 0, descending as an SVD returns them;
 * the rule reads prefixes, so another order gives the prefix answer for that
 * order). tau is dimensionless in (0, 1]. An all-zero spectrum gives 1.
 * Throws RangeError for tau outside (0, 1], an empty `s`, or a negative or
 * non-finite entry. Pure.
 */
export function energyRank(s: Float64Array, tau: number): Rank {
  if (!(tau > 0 && tau <= 1)) throw new RangeError(`The energy fraction tau must lie in (0, 1], got ${tau}.`);
  if (s.length === 0) throw new RangeError('The energy rule needs at least one singular value.');
  let largest = 0;
  for (const x of s) {
    if (!(x >= 0) || x === Infinity) throw new RangeError(`Singular values must be finite and >= 0, got ${x}.`);
    if (x > largest) largest = x;
  }
  if (largest === 0) return asRank(1);
  // Scaling by a power of two is exact: s_i^2 can neither overflow nor
  // underflow, and a spectrum of small integers keeps exact sums, so a
  // worked example like 13/14 >= tau is decided as on paper. The exponent is
  // clamped so that the scale itself stays finite for subnormal spectra.
  const exponent = Math.max(-1000, Math.min(1000, Math.floor(Math.log2(largest))));
  const scale = 2 ** -exponent;
  let total = 0;
  for (const x of s) total += (x * scale) ** 2;
  const threshold = tau * total;
  let prefix = 0;
  for (let i = 0; i < s.length; i++) {
    prefix += (s[i] * scale) ** 2;
    if (prefix >= threshold) return asRank(i + 1);
  }
  // The last prefix is `total`, summed in the same order, and tau <= 1.
  return asRank(s.length);
}

/** One layer's spectrum for {@link energyPlan}: kernel m x n, singular values s (descending). */
export interface LayerSpectrum {
  readonly name: string;
  readonly s: Float64Array;
  readonly m: number;
  readonly n: number;
}

/**
 * The energy rule applied to every layer with one tau: layer name -> rank.
 * A rank where factorizing would not shrink the kernel (see isKeptDense in
 * compression.ts) is still returned; the size arithmetic then keeps that
 * layer dense. `s` must be the full spectrum (up to min(m, n) values): a
 * truncated top-k spectrum undercounts the total energy, so the rule would
 * pick ranks too small. Throws RangeError on a duplicate name, a spectrum
 * longer than min(m, n), or a bad tau or spectrum (see {@link energyRank}).
 */
export function energyPlan(layers: readonly LayerSpectrum[], tau: number): Readonly<Record<string, Rank>> {
  const ranks = new Map<string, Rank>();
  for (const { name, s, m, n } of layers) {
    if (ranks.has(name)) throw new RangeError(`Layer name "${name}" appears twice; names must be unique.`);
    if (s.length > maxRank(m, n)) {
      throw new RangeError(`Layer "${name}" is ${m}x${n} but has ${s.length} singular values; at most ${maxRank(m, n)}.`);
    }
    ranks.set(name, energyRank(s, tau));
  }
  // fromEntries defines own properties, so even a layer named "__proto__" is safe.
  return Object.fromEntries(ranks);
}

/** One evaluation made by a rank search: the rank tried and the error measured there. */
export interface RankProbe {
  readonly rank: Rank;
  readonly error: number;
}

/** Result of {@link smallestRankWithin}. */
export interface RankSearchResult {
  /** The smallest rank meeting eps, or null when even maxK does not. */
  readonly rank: Rank | null;
  /** errorAt(rank), or errorAt(maxK) when rank is null. */
  readonly error: number;
  /** How many times errorAt was called (each probe once). */
  readonly evaluations: number;
  /** The probes in the order they were made. */
  readonly probes: readonly RankProbe[];
}

/** Options of {@link smallestRankWithin}. */
export interface RankSearchOptions {
  /** Called after each evaluation, e.g. to show progress while a slow errorAt runs. */
  readonly onProbe?: (probe: RankProbe) => void;
}

/**
 * Binary search for the smallest rank k in 1..maxK with errorAt(k) <= eps.
 * Assumes errorAt is non-increasing in k (true for truncation errors of one
 * SVD; for errors measured through a network it usually holds but is not
 * guaranteed). The assumption is not checked: where it fails, the result
 * is still a probed rank that meets eps, but not necessarily the smallest.
 * Probes maxK first, so an unreachable eps costs one evaluation (rank
 * null), and a reachable one 1 + ceil(log2 maxK); no rank is probed twice.
 * eps is in errorAt's units. Throws RangeError for maxK not a positive
 * integer, eps negative or NaN, or errorAt returning NaN.
 */
export function smallestRankWithin(
  maxK: number,
  errorAt: (k: Rank) => number,
  eps: number,
  options: RankSearchOptions = {},
): RankSearchResult {
  const top = asRank(maxK);
  if (!(eps >= 0)) throw new RangeError(`The error threshold eps must be >= 0, got ${eps}.`);
  const probes: RankProbe[] = [];
  const probe = (k: number): number => {
    const rank = asRank(k);
    const error = errorAt(rank);
    if (Number.isNaN(error)) throw new RangeError(`The error at rank ${k} is NaN; check the layer's data.`);
    const entry = { rank, error };
    probes.push(entry);
    options.onProbe?.(entry);
    return error;
  };
  const errorAtTop = probe(top);
  if (!(errorAtTop <= eps)) return { rank: null, error: errorAtTop, evaluations: probes.length, probes };
  // Invariant: hi meets eps, every rank below lo does not.
  let lo = 1;
  let hi: number = top;
  let errorAtHi = errorAtTop;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const error = probe(mid);
    if (error <= eps) {
      hi = mid;
      errorAtHi = error;
    } else {
      lo = mid + 1;
    }
  }
  return { rank: asRank(hi), error: errorAtHi, evaluations: probes.length, probes };
}

/**
 * Decision of {@link outputErrorRule}: a rank to factorize at, or keep the
 * layer dense. Both carry the evaluations spent, for the lab to show.
 */
export type OutputErrorDecision =
  | {
      readonly keptDense: false;
      readonly rank: Rank;
      /** errorAt(rank), <= eps. */
      readonly error: number;
      readonly evaluations: number;
      readonly probes: readonly RankProbe[];
    }
  | { readonly keptDense: true; readonly evaluations: number; readonly probes: readonly RankProbe[] };

/**
 * Output-error rule for one m x n kernel: the smallest rank whose output
 * error errorAt(k) is <= eps, searching only ranks that shrink the layer
 * (k (m + n) < m n, i.e. 1..largestShrinkingRank); the layer is kept dense
 * when none of them meets eps, or when no rank shrinks it at all (then
 * without evaluating). `options.maxRank` caps the search further (a layer
 * whose SVD holds only its top r directions offers no rank above r). Same
 * monotonicity assumption and costs as {@link smallestRankWithin}. Throws
 * RangeError on a bad shape or eps.
 */
export function outputErrorRule(
  m: number,
  n: number,
  errorAt: (k: Rank) => number,
  eps: number,
  options: RankSearchOptions & { readonly maxRank?: number } = {},
): OutputErrorDecision {
  const shrinking = largestShrinkingRank(m, n);
  if (!(eps >= 0)) throw new RangeError(`The error threshold eps must be >= 0, got ${eps}.`);
  const top = shrinking === null ? null : Math.min(shrinking, options.maxRank ?? shrinking);
  if (top === null || top < 1) return { keptDense: true, evaluations: 0, probes: [] };
  const found = smallestRankWithin(top, errorAt, eps, options);
  if (found.rank === null) return { keptDense: true, evaluations: found.evaluations, probes: found.probes };
  return { keptDense: false, rank: found.rank, error: found.error, evaluations: found.evaluations, probes: found.probes };
}

/**
 * The relative output error of every rank at once:
 * k -> ||X W_k - X W||_F / ||X W||_F for calibration inputs X (N x m,
 * row-major, one input vector per row), the kernel W (m x n, row-major) and
 * W_k = U_k S_k V_k^T from `svd`, an SVD of W that may be truncated to its
 * top r values (the lab's top-k layers). Dimensionless.
 *
 * A truncated SVD is charged for what it misses: with P = X U (N x r) and
 * the residual R = X W - P S V^T (zero up to rounding for a full SVD), and
 * V's columns orthonormal,
 *   ||X W - X W_k||^2 = ||R||^2 + sum_{c >= k} (s_c^2 ||P_c||^2 + 2 s_c <R v_c, P_c>),
 * a sum of tail terms only, so small errors keep their precision.
 * Cost about N m n + N m r + 2 N n r multiply-adds once, then O(1) per rank;
 * allocates N (n + r) doubles. Throws RangeError on mismatched shapes; the
 * curve throws RangeError at a rank where X W = 0 but X W_k is not (the
 * ratio is then undefined: use inputs that excite the layer), and
 * {@link RankOutOfRangeError} for k > svd.r.
 */
export function outputErrorCurve(
  x: Float32Array | Float64Array,
  w: Float32Array | Float64Array,
  svd: Svd,
): (k: Rank) => RelativeError {
  return outputErrorCurveOf(outputErrorTable(x, w, svd), `the ${svd.m}x${svd.n} kernel's SVD`);
}

/**
 * The numbers {@link outputErrorCurve} reads: errorSq[k] = ||X W - X W_k||_F^2
 * for k = 0..r, and exactSq = ||X W||_F^2. Plain arrays, so the slow part can
 * run in a worker and the curve be rebuilt where it is read.
 */
export interface OutputErrorTable {
  readonly errorSq: Float64Array;
  readonly exactSq: number;
}

/** The curve k -> sqrt(errorSq[k] / exactSq) of a table; `what` names the SVD in the rank error. */
export function outputErrorCurveOf(table: OutputErrorTable, what: string): (k: Rank) => RelativeError {
  const { errorSq, exactSq } = table;
  const r = errorSq.length - 1;
  return (k) => {
    if (k > r) throw new RankOutOfRangeError(k, r, what);
    const sq = Math.max(0, errorSq[k]);
    if (sq === 0) return asRelativeError(0);
    if (exactSq === 0) throw new RangeError('X W is zero, so the relative output error is undefined; use inputs that excite the layer.');
    return asRelativeError(Math.sqrt(sq / exactSq));
  };
}

/** The table behind {@link outputErrorCurve} (same arguments, costs and shape errors). */
export function outputErrorTable(
  x: Float32Array | Float64Array,
  w: Float32Array | Float64Array,
  svd: Svd,
): OutputErrorTable {
  const { m, n, r, u, s, v } = svd;
  if (w.length !== m * n) throw new RangeError(`The kernel has ${w.length} entries; the SVD is of a ${m}x${n} matrix.`);
  if (x.length % m !== 0) throw new RangeError(`Inputs of length ${x.length} are not rows of width m = ${m}.`);
  const rows = x.length / m;
  // tail[c] = s_c^2 ||P_c||^2 + 2 s_c <R v_c, P_c>, accumulated row by row.
  const tail = new Float64Array(r);
  const y = new Float64Array(n);
  const p = new Float64Array(r);
  let exactSq = 0;
  let residualSq = 0;
  for (let t = 0; t < rows; t++) {
    y.fill(0);
    p.fill(0);
    for (let i = 0; i < m; i++) {
      const xi = x[t * m + i];
      if (xi === 0) continue;
      for (let j = 0; j < n; j++) y[j] += xi * w[i * n + j];
      for (let c = 0; c < r; c++) p[c] += xi * u[i * r + c];
    }
    // y becomes this row of R = X W - P S V^T.
    for (let j = 0; j < n; j++) {
      const exact = y[j];
      exactSq += exact * exact;
      let approx = 0;
      for (let c = 0; c < r; c++) approx += p[c] * s[c] * v[j * r + c];
      y[j] = exact - approx;
      residualSq += y[j] * y[j];
    }
    for (let c = 0; c < r; c++) {
      let rv = 0;
      for (let j = 0; j < n; j++) rv += y[j] * v[j * r + c];
      tail[c] += s[c] * s[c] * p[c] * p[c] + 2 * s[c] * rv * p[c];
    }
  }
  // errorSq[k] = ||R||^2 + sum_{c >= k} tail[c], for k = 0..r.
  const errorSq = new Float64Array(r + 1);
  errorSq[r] = residualSq;
  for (let c = r - 1; c >= 0; c--) errorSq[c] = errorSq[c + 1] + tail[c];
  return { errorSq, exactSq };
}
