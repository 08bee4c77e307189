/**
 * From an SVD to the two factors a low-rank Dense layer stores, and the
 * errors that truncation costs.
 *
 * W (m x n) ~= A B with A = U_k sqrt(S_k) (m x k) and B = sqrt(S_k) V_k^T
 * (k x n). Splitting sqrt(S) evenly between the factors keeps A's column
 * norms equal to B's row norms, so neither factor carries all the scale:
 * both stay in a similar float32 range, which matters when they are stored
 * or fine-tuned in float32.
 */
import type { Svd } from './svd';
import { asRelativeError, RankOutOfRangeError, type Rank, type RelativeError } from './units';

/** The rank-k factors of an m x n matrix, float32 as a layer stores them. */
export interface TruncatedFactors {
  /** m x k, row-major: U_k sqrt(S_k). */
  readonly a: Float32Array;
  /** k x n, row-major: sqrt(S_k) V_k^T. */
  readonly b: Float32Array;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

function checkRankFits(svd: Svd, k: Rank): void {
  if (k > svd.r) throw new RankOutOfRangeError(k, svd.r, `a ${svd.m}x${svd.n} matrix`);
}

/**
 * Rank-k factors A (m x k) and B (k x n) of the matrix `svd` decomposes,
 * with A B = U_k S_k V_k^T, the best rank-k approximation (Eckart-Young).
 * Computed in float64 and rounded once to float32. Allocates two new arrays;
 * throws {@link RankOutOfRangeError} when k > r = min(m, n).
 */
export function truncatedFactors(svd: Svd, k: Rank): TruncatedFactors {
  checkRankFits(svd, k);
  const { u, s, v, m, n, r } = svd;
  const a = new Float32Array(m * k);
  const b = new Float32Array(k * n);
  for (let c = 0; c < k; c++) {
    const root = Math.sqrt(s[c]);
    for (let i = 0; i < m; i++) a[i * k + c] = u[i * r + c] * root;
    for (let j = 0; j < n; j++) b[c * n + j] = root * v[j * r + c];
  }
  return { a, b, m, n, k };
}

/**
 * The m x n product A B (row-major, float64) of A (m x k) and B (k x n),
 * both row-major; accumulates in float64 whatever the input precision.
 * Throws RangeError when the array lengths do not match the shapes.
 */
export function reconstruct(
  a: Float32Array | Float64Array,
  b: Float32Array | Float64Array,
  m: number,
  k: number,
  n: number,
): Float64Array {
  if (a.length !== m * k || b.length !== k * n) {
    throw new RangeError(
      `Factors of lengths ${a.length} and ${b.length} do not fit shapes [${m}, ${k}] x [${k}, ${n}].`,
    );
  }
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = i * n;
    // i-c-j order walks B and the output row contiguously.
    for (let c = 0; c < k; c++) {
      const aic = a[i * k + c];
      if (aic === 0) continue;
      const bRow = c * n;
      for (let j = 0; j < n; j++) out[row + j] += aic * b[bRow + j];
    }
  }
  return out;
}

/**
 * ||W - W_k||_F = sqrt(sum_{i > k} s_i^2), the Frobenius error of the best
 * rank-k approximation, in the units of W's entries; 0 when k >= r. Summed
 * with a running scale so that very large or small s_i neither overflow nor
 * underflow.
 */
export function truncationErrorFrobenius(svd: Pick<Svd, 's' | 'r'>, k: Rank): number {
  return tailNorm(svd.s, Math.min(k, svd.r));
}

/**
 * ||W - W_k||_F / ||W||_F: the share of the matrix's Frobenius norm that
 * rank k drops, dimensionless; 0 for the zero matrix.
 */
export function relativeTruncationError(svd: Pick<Svd, 's' | 'r'>, k: Rank): RelativeError {
  const total = tailNorm(svd.s, 0);
  return asRelativeError(total === 0 ? 0 : truncationErrorFrobenius(svd, k) / total);
}

/**
 * ||W - W_k||_2 = s_{k+1} (s[k] with 0-based indexing), the spectral-norm
 * error of the best rank-k approximation; 0 when k >= r.
 */
export function spectralTruncationError(svd: Pick<Svd, 's' | 'r'>, k: Rank): number {
  return k >= svd.r ? 0 : svd.s[k];
}

/** sqrt(sum_{i >= from} s_i^2) for descending s, scaled by s[from] to stay in range. */
function tailNorm(s: Float64Array, from: number): number {
  if (from >= s.length || s[from] === 0) return 0;
  const scale = s[from];
  let sum = 0;
  for (let i = from; i < s.length; i++) {
    const x = s[i] / scale;
    sum += x * x;
  }
  return scale * Math.sqrt(sum);
}
