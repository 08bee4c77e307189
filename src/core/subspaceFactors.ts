/**
 * The step the data-aware and the robust low-rank methods share: both choose
 * a k-dimensional subspace of the output space R^n (an orthonormal basis
 * V, n x k) and replace a Dense kernel W (m x n, y = x W + b) by its
 * projection W P, P = V V^T. What differs is only how V is chosen.
 *
 * Both choose V as the top-k right singular vectors of some matrix F whose
 * Gram matrix F^T F is the one they need the eigenvectors of (W^T X^T X W,
 * W^T diag(c) W). Taking the SVD of the factor F instead of the eigen-
 * decomposition of F^T F keeps the singular values in their own units: the
 * Gram matrix squares the condition number, so a direction with
 * sigma_i / sigma_1 ~ 1e-8 would be lost entirely in float64 rounding.
 */
import { truncatedFactors, type TruncatedFactors } from './factors';
import { matmul } from './matmul';
import { svdJacobi, type Svd } from './svd';
import type { Rank } from './units';

type Matrix = Float32Array | Float64Array;

/** The top-k right singular vectors of a factor F, with F's whole spectrum. */
export interface RightSubspace {
  /** n x k, row-major, orthonormal columns: the top-k right singular vectors of F. */
  readonly basis: Float64Array;
  /** All min(rows, n) singular values of F, descending, in F's units. */
  readonly spectrum: Float64Array;
}

/**
 * Top-k right singular vectors of the row-major rows x n matrix `f` by the
 * lab's Jacobi SVD (float64). Needs k <= min(rows, n); the caller checks it
 * and throws its own, more specific error first. Throws
 * {@link NonFiniteMatrixError} (from svdJacobi) on NaN or Infinity. When F
 * has rank below k the trailing columns are an arbitrary orthonormal
 * completion, which leaves any objective built from F unchanged.
 */
export function topRightSubspace(f: Matrix, shape: readonly [number, number], k: number): RightSubspace {
  return rightSubspaceOf(svdJacobi(f, shape), k);
}

/**
 * The top-k right singular vectors of an SVD computed elsewhere (the lab's
 * engine: a worker or the GPU), as {@link topRightSubspace} returns them.
 * Throws RangeError when the SVD has fewer than k singular vectors.
 */
export function rightSubspaceOf(svd: Svd, k: number): RightSubspace {
  const n = svd.n;
  if (k > svd.r) throw new RangeError(`Asked for ${k} singular vectors of a matrix with only ${svd.r}.`);
  const basis = new Float64Array(n * k);
  for (let j = 0; j < n; j++) {
    for (let c = 0; c < k; c++) basis[j * k + c] = svd.v[j * svd.r + c];
  }
  return { basis, spectrum: Float64Array.from(svd.s) };
}

/**
 * Rank-k factors of W P = (W V)(V^T) for the m x n kernel `w` and an
 * orthonormal basis `basis` (n x k, row-major), k <= m.
 *
 * The factors are not W V and V^T as they stand: W V = U' S' Q'^T (an SVD of
 * the small m x k matrix) makes W P = U' S' (V Q')^T an exact SVD of W P,
 * and the factors are taken from it as {@link truncatedFactors} takes them,
 * A = U' sqrt(S'), B = sqrt(S') (V Q')^T. The product is the same; the
 * difference is that sqrt(S') is split evenly as everywhere else in the lab,
 * so neither factor carries all the scale (which float32 storage,
 * fine-tuning and per-channel quantization all prefer), and A's columns are
 * orthogonal, so quantizeFactors splits them back into an orthonormal U and
 * the singular values of W P. Float64 inside, float32 out.
 */
export function projectionFactors(
  w: Matrix,
  shape: readonly [number, number],
  basis: Float64Array,
  k: Rank,
): TruncatedFactors {
  const [m, n] = shape;
  if (basis.length !== n * k) throw new RangeError(`A basis of ${k} vectors in R^${n} needs ${n * k} entries.`);
  if (k > m) throw new RangeError(`Rank ${k} exceeds the ${m} rows of the kernel.`);
  const projected = matmul(w, [m, n], basis, [n, k]);
  const small = svdJacobi(projected, [m, k]);
  // V Q' (n x k): Q' is the k x k right factor of W V (small.v, r = k).
  const rotated = matmul(basis, [n, k], small.v, [k, k]);
  const svdOfProjection: Svd = { ...small, v: rotated, n };
  return truncatedFactors(svdOfProjection, k);
}

/**
 * sqrt(sum_{i >= k} s_i^2) for a descending spectrum: the Frobenius norm of
 * what a rank-k truncation of that matrix leaves out, in its units. Scaled
 * by s_k first so that it neither overflows nor underflows.
 */
export function spectrumTail(spectrum: Float64Array, k: number): number {
  if (k >= spectrum.length || spectrum[k] === 0) return 0;
  const scale = spectrum[k];
  let sum = 0;
  for (let i = k; i < spectrum.length; i++) sum += (spectrum[i] / scale) ** 2;
  return scale * Math.sqrt(sum);
}
