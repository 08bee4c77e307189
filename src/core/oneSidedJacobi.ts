/**
 * One-sided (Hestenes) Jacobi sweeps: plane rotations applied to pairs of
 * columns until every pair is orthogonal to a relative tolerance. This is
 * the iterative heart of {@link svdJacobi}; it is split out so that the
 * sweep loop can be read, tested and benchmarked without the QR pre-step and
 * the bookkeeping around it.
 */

/**
 * Squared column norms below this are treated as exactly zero: the column is
 * skipped by the sweeps and reported as a zero singular value. Callers scale
 * the matrix so its largest entry lies in [1, 2), so this means a column
 * under 1e-140 of that entry, far below float64 resolution, and it keeps the
 * rotation formulas clear of underflow.
 */
export const NEGLIGIBLE_COLUMN_NORM_SQ = 1e-280;

/** Controls for {@link orthogonalizeColumns}. */
export interface JacobiSweepOptions {
  /** Rotate a pair when |a_i . a_j| > tolerance |a_i| |a_j|. */
  readonly tolerance: number;
  /** Stop after this many sweeps even if not converged. */
  readonly maxSweeps: number;
  /** Called after each sweep with its 1-based index and the largest |cosine| it met. */
  readonly onSweep?: (sweep: number, offDiagonal: number) => void;
}

/** Outcome of {@link orthogonalizeColumns}. */
export interface JacobiSweepResult {
  /** Sweeps run, counting the final one that found nothing to rotate. */
  readonly sweeps: number;
  /** True when the last sweep did no rotation. */
  readonly converged: boolean;
  /** Length cols: squared norms of the final columns of `g`. */
  readonly normsSq: Float64Array;
}

/**
 * Rotates the columns of the column-major rows x cols array `g` (side
 * effect) in cyclic row order, with de Rijk's pivoting, until they are
 * mutually orthogonal, applying every rotation also to the columns of the
 * column-major accRows x cols array `acc` (side effect), so that if `acc`
 * starts as the identity it ends as the orthogonal J with g_in J = g_out. Columns of `g` and `acc` are
 * permuted along the way (the same permutation for both), so the caller must
 * not assume that output column c still corresponds to input column c.
 * No allocation inside the sweep loop.
 */
export function orthogonalizeColumns(
  g: Float64Array,
  rows: number,
  cols: number,
  acc: Float64Array,
  accRows: number,
  options: JacobiSweepOptions,
): JacobiSweepResult {
  const { tolerance, maxSweeps, onSweep } = options;
  const normsSq = new Float64Array(cols);
  let sweeps = 0;
  let converged = false;
  while (sweeps < maxSweeps && !converged) {
    sweeps += 1;
    let rotations = 0;
    let offDiagonal = 0;
    // Fresh norms each sweep stop the cheap in-sweep updates from drifting.
    for (let c = 0; c < cols; c++) normsSq[c] = dot(g, c * rows, g, c * rows, rows);
    for (let i = 0; i < cols - 1; i++) {
      const oi = i * rows;
      // de Rijk's pivoting: pair the largest remaining column first; it
      // typically saves a sweep or two over plain cyclic order.
      let largest = i;
      for (let c = i + 1; c < cols; c++) if (normsSq[c] > normsSq[largest]) largest = c;
      if (largest !== i) {
        swapColumns(g, i, largest, rows);
        swapColumns(acc, i, largest, accRows);
        const t = normsSq[i];
        normsSq[i] = normsSq[largest];
        normsSq[largest] = t;
      }
      for (let j = i + 1; j < cols; j++) {
        const alpha = normsSq[i];
        const beta = normsSq[j];
        if (alpha < NEGLIGIBLE_COLUMN_NORM_SQ || beta < NEGLIGIBLE_COLUMN_NORM_SQ) continue;
        const oj = j * rows;
        const gamma = dot(g, oi, g, oj, rows);
        // sqrt of each norm separately: the product alpha * beta could underflow.
        const cosine = Math.abs(gamma) / (Math.sqrt(alpha) * Math.sqrt(beta));
        if (cosine > offDiagonal) offDiagonal = cosine;
        if (!(cosine > tolerance)) continue;
        rotations += 1;

        // Rutishauser's formulas: t = tan of the angle that zeroes gamma,
        // taking the smaller of the two roots for stability.
        const zeta = (beta - alpha) / (2 * gamma);
        const absZeta = Math.abs(zeta);
        const t =
          absZeta > 1e150
            ? 0.5 / zeta
            : (zeta >= 0 ? 1 : -1) / (absZeta + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;

        rotate(g, oi, oj, rows, c, s);
        // The 2x2 update is exact in exact arithmetic; when it cancels (a
        // column losing most of its length) recompute from the data instead.
        const nextAlpha = alpha - t * gamma;
        const nextBeta = beta + t * gamma;
        normsSq[i] = nextAlpha > 0.25 * alpha ? nextAlpha : dot(g, oi, g, oi, rows);
        normsSq[j] = nextBeta > 0.25 * beta ? nextBeta : dot(g, oj, g, oj, rows);
        rotate(acc, i * accRows, j * accRows, accRows, c, s);
      }
    }
    onSweep?.(sweeps, offDiagonal);
    converged = rotations === 0;
  }
  // Singular values come from these norms, so they are computed from the
  // final data rather than taken from the in-sweep updates.
  for (let c = 0; c < cols; c++) normsSq[c] = dot(g, c * rows, g, c * rows, rows);
  return { sweeps, converged, normsSq };
}

/** Dot product of x[ox..ox+len) and y[oy..oy+len), four accumulators for ILP. */
function dot(x: Float64Array, ox: number, y: Float64Array, oy: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += x[ox + k] * y[oy + k];
    s1 += x[ox + k + 1] * y[oy + k + 1];
    s2 += x[ox + k + 2] * y[oy + k + 2];
    s3 += x[ox + k + 3] * y[oy + k + 3];
  }
  for (; k < len; k++) s0 += x[ox + k] * y[oy + k];
  return s0 + s1 + (s2 + s3);
}

/** [a_i, a_j] <- [c a_i - s a_j, s a_i + c a_j] on two columns of length len. */
function rotate(a: Float64Array, oi: number, oj: number, len: number, c: number, s: number): void {
  for (let k = 0; k < len; k++) {
    const x = a[oi + k];
    const y = a[oj + k];
    a[oi + k] = c * x - s * y;
    a[oj + k] = s * x + c * y;
  }
}

/** Swaps columns c1 and c2 of a column-major array with `len` rows. */
function swapColumns(a: Float64Array, c1: number, c2: number, len: number): void {
  const o1 = c1 * len;
  const o2 = c2 * len;
  for (let k = 0; k < len; k++) {
    const t = a[o1 + k];
    a[o1 + k] = a[o2 + k];
    a[o2 + k] = t;
  }
}
