/**
 * Singular value decomposition by one-sided Jacobi, float64, in plain
 * TypeScript: the CPU reference for the lab's factorizations and the
 * expected answer for any GPU twin.
 *
 * Method (QR preconditioning after Drmač and Veselić): for an m x n input,
 * work on the tall one of A and A^T (p x q, p >= q); take a column-pivoted
 * Householder QR, T P = Q R; run one-sided Jacobi on the columns of R^T,
 * R^T J = X S; then T = (Q J) S (P X)^T. The QR step shortens every Jacobi
 * column from p to q entries (784 -> 64 for a 784x64 kernel), and the rows
 * of a pivoted R are graded, which helps Jacobi on R^T converge. Singular
 * values under 1e-140 of the largest entry are returned as exact zeros.
 */
import { applyQ, householderQrPivotedInPlace } from './householderQr';
import { NEGLIGIBLE_COLUMN_NORM_SQ, orthogonalizeColumns } from './oneSidedJacobi';
import { columnMajorWork, completeOrthonormalColumns, fixSigns } from './svdFinish';

/** Re-exported: the error every SVD in the lab throws for NaN or Infinity input. */
export { NonFiniteMatrixError } from './svdFinish';

/**
 * Thin SVD A = U diag(s) V^T of an m x n matrix, r = min(m, n).
 * U columns and V columns are orthonormal (also for zero singular values),
 * s is descending, and each column of U has its largest-magnitude entry
 * positive (the lowest index wins a tie), which fixes the signs.
 */
export interface Svd {
  /** m x r, row-major. */
  readonly u: Float64Array;
  /** r singular values, descending, >= 0, in the units of A's entries. */
  readonly s: Float64Array;
  /** n x r, row-major (V, not V^T). */
  readonly v: Float64Array;
  readonly m: number;
  readonly n: number;
  readonly r: number;
  /** Jacobi sweeps run, counting the last one that found nothing to rotate. */
  readonly sweeps: number;
  /** False when maxSweeps ran out first; the result is then less accurate. */
  readonly converged: boolean;
  /**
   * Only on a top-k (randomized) result: r_i = ||A v_i - s_i u_i||_2 per
   * kept triplet, the a-posteriori error bound of s_i (see
   * core/randomizedSvd.ts singularValueBound). Absent on a full SVD, which
   * is exact to rounding.
   */
  readonly residuals?: Float64Array;
}

/** Options of {@link svdJacobi}. */
export interface SvdOptions {
  /**
   * Relative orthogonality threshold, > 0: a column pair is rotated while
   * |a_i . a_j| > tolerance |a_i| |a_j|. Default max(1e-14, 4 sqrt(q) eps),
   * q = min(m, n): rounding in the dot products leaves cosines of about
   * sqrt(q) eps even for orthogonal columns, and a threshold at that level
   * would keep the sweeps rotating noise.
   */
  readonly tolerance?: number;
  /** Upper bound on sweeps, a positive integer; default 60. */
  readonly maxSweeps?: number;
  /** Progress callback after each sweep: 1-based index and the largest |cosine| seen. */
  readonly onSweep?: (sweep: number, offDiagonal: number) => void;
}

/**
 * SVD of the row-major m x n matrix `data` (shape [m, n]); float32 input is
 * widened to float64. Pure: `data` is not modified. Throws RangeError when a
 * dimension is not a positive integer or data.length !== m n, and
 * {@link NonFiniteMatrixError} on NaN/Infinity. Cost: about 6 p q^2 flops
 * for the QR and for forming U, plus up to 7 q^3 per Jacobi sweep, with
 * p = max(m, n), q = min(m, n); a random 784x512 matrix takes 10 sweeps,
 * about 3 s in Node, a 784x64 one 8 sweeps, about 30 ms.
 */
export function svdJacobi(
  data: Float32Array | Float64Array,
  shape: readonly [number, number],
  options: SvdOptions = {},
): Svd {
  const [m, n] = shape;
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || n < 1) {
    throw new RangeError(`svdJacobi needs a non-empty matrix, got shape [${m}, ${n}].`);
  }
  if (data.length !== m * n) {
    throw new RangeError(`Shape [${m}, ${n}] needs ${m * n} entries, got ${data.length}.`);
  }
  checkOptions(options);
  // A row-major m x n array read column-major is A^T (n x m): so the wide case
  // needs a plain copy and the tall case a transposing one.
  const { work, p, q, transposed, scale } = columnMajorWork(data, shape, (len) => new Float64Array(len));

  const qr = householderQrPivotedInPlace(work, p, q);
  // g = R^T, column-major q x q: column i of g is row i of R.
  const g = new Float64Array(q * q);
  for (let i = 0; i < q; i++) {
    for (let k = i; k < q; k++) g[i * q + k] = work[k * p + i];
  }
  const rotations = new Float64Array(q * q);
  for (let i = 0; i < q; i++) rotations[i * q + i] = 1;
  const jacobi = orthogonalizeColumns(g, q, q, rotations, q, {
    tolerance: options.tolerance ?? Math.max(1e-14, 4 * Math.sqrt(q) * Number.EPSILON),
    maxSweeps: options.maxSweeps ?? 60,
    onSweep: options.onSweep,
  });

  // Right side of T: X = columns of g normalized; left side: Q J.
  const sigma = new Float64Array(q);
  const zero = new Uint8Array(q);
  for (let c = 0; c < q; c++) {
    const normSq = jacobi.normsSq[c];
    if (normSq < NEGLIGIBLE_COLUMN_NORM_SQ) {
      zero[c] = 1;
      g.fill(0, c * q, (c + 1) * q);
      continue;
    }
    const norm = Math.sqrt(normSq);
    sigma[c] = norm * scale;
    for (let k = 0; k < q; k++) g[c * q + k] /= norm;
  }
  completeOrthonormalColumns(g, q, q, zero);
  const left = new Float64Array(p * q);
  for (let c = 0; c < q; c++) left.set(rotations.subarray(c * q, (c + 1) * q), c * p);
  applyQ(qr, left, q);

  // The final sweep's de Rijk pivoting already leaves the columns in
  // descending order; a stable sort makes that a guarantee (also when
  // maxSweeps ran out). Then row-major output for A, swapping sides back when
  // we worked on A^T.
  const order = Array.from({ length: q }, (_, c) => c).sort((a, b) => sigma[b] - sigma[a]);
  const r = q;
  const leftOut = new Float64Array(p * r);
  const rightOut = new Float64Array(q * r);
  for (let c = 0; c < r; c++) {
    const src = order[c];
    for (let row = 0; row < p; row++) leftOut[row * r + c] = left[src * p + row];
    for (let k = 0; k < q; k++) rightOut[qr.perm[k] * r + c] = g[src * q + k];
  }
  const s = new Float64Array(r);
  for (let c = 0; c < r; c++) s[c] = sigma[order[c]];
  const u = transposed ? rightOut : leftOut;
  const v = transposed ? leftOut : rightOut;
  fixSigns(u, m, v, n, r);
  return { u, s, v, m, n, r, sweeps: jacobi.sweeps, converged: jacobi.converged };
}

function checkOptions(options: SvdOptions): void {
  const { tolerance, maxSweeps } = options;
  if (tolerance !== undefined && !(tolerance > 0 && tolerance < 1)) {
    throw new RangeError(`SVD tolerance must lie in (0, 1), got ${tolerance}.`);
  }
  if (maxSweeps !== undefined && !(Number.isSafeInteger(maxSweeps) && maxSweeps >= 1)) {
    throw new RangeError(`maxSweeps must be a positive integer, got ${maxSweeps}.`);
  }
}
