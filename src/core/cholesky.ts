/**
 * Cholesky factorization of small l x l Gram matrices and the triangular
 * products around it, float64: the small, sequential part of CholeskyQR
 * ({@link choleskyQr2}). On a GPU the Gram matrix and the triangular solve
 * over the m rows run as kernels, and this l x l part stays on the CPU (l is
 * k + oversampling, a few dozen), so it is written once here for both.
 *
 * Convention: the upper factor, G = R^T R with R upper triangular, row-major,
 * because CholeskyQR's Y = Q R wants R, not L = R^T.
 */

/**
 * Thrown by {@link cholesky} when a pivot (the diagonal of a Schur
 * complement) is not positive: the matrix is not positive definite in
 * floating point, usually because the columns behind a Gram matrix are
 * linearly dependent.
 */
export class CholeskyBreakdownError extends Error {
  /** 0-based column whose pivot failed. */
  readonly column: number;
  /** The pivot found there (<= 0, or NaN). */
  readonly pivot: number;

  constructor(column: number, pivot: number) {
    super(
      `Cholesky broke down at column ${column}: pivot ${pivot} is not positive, so the matrix is ` +
        'not positive definite in floating point (dependent columns behind a Gram matrix?). ' +
        'Factor a shifted matrix G + s I instead, or use choleskyQr2, which shifts by itself.',
    );
    this.name = 'CholeskyBreakdownError';
    this.column = column;
    this.pivot = pivot;
  }
}

/** Options of {@link factorGram}; all default to 0 (plain Cholesky). */
export interface GramFactorOptions {
  /** Added to the diagonal first: factor G + shift I. Same units as G's entries. */
  readonly shift?: number;
  /**
   * Drop column j when pivot - shift <= relativeFloor G_jj, i.e. when what the
   * column adds beyond the earlier ones is that small a part of its own
   * length squared (a zero column always qualifies). Dimensionless.
   */
  readonly relativeFloor?: number;
  /** Drop column j when its pivot is <= absoluteFloor. Same units as G's entries. */
  readonly absoluteFloor?: number;
}

/** Result of {@link factorGram}. */
export interface GramFactor {
  /**
   * l x l row-major upper triangular R, R^T R = G + shift I on the kept
   * columns. Row j of a dropped column is all zero, diagonal included.
   */
  readonly r: Float64Array;
  /** Length l: pivot (squared diagonal of R) met at each column before the drop test. */
  readonly pivots: Float64Array;
  /** Length l: 1 where the column was dropped, 0 where kept. */
  readonly dropped: Uint8Array;
  /** How many columns were dropped. */
  readonly droppedCount: number;
}

/**
 * Upper Cholesky factor of the symmetric l x l row-major matrix `g` (only
 * its upper triangle is read), with an optional diagonal shift, that does not
 * stop at a failed pivot: a column whose pivot falls to or below the floors
 * in `options` (or is NaN) is dropped, meaning its row of R is set to zero
 * as though its Schur complement were exactly zero (a positive semidefinite
 * G), and the factorization goes on with the rest. Pure; cost l^3 / 3 flops.
 */
export function factorGram(g: Float64Array, l: number, options: GramFactorOptions = {}): GramFactor {
  const shift = options.shift ?? 0;
  const relativeFloor = options.relativeFloor ?? 0;
  const absoluteFloor = options.absoluteFloor ?? 0;
  const r = new Float64Array(l * l);
  const pivots = new Float64Array(l);
  const dropped = new Uint8Array(l);
  let droppedCount = 0;
  for (let j = 0; j < l; j++) {
    const gjj = g[j * l + j];
    // The shift is added last so that a column far below it is not absorbed
    // by it before the drop test sees what the column adds.
    let excess = gjj;
    for (let i = 0; i < j; i++) excess -= r[i * l + j] * r[i * l + j];
    const pivot = excess + shift;
    pivots[j] = pivot;
    // Negated comparison so that a NaN pivot counts as failed too.
    if (!(excess > relativeFloor * gjj && pivot > absoluteFloor)) {
      dropped[j] = 1;
      droppedCount++;
      continue;
    }
    const rjj = Math.sqrt(pivot);
    r[j * l + j] = rjj;
    for (let k = j + 1; k < l; k++) {
      let x = g[j * l + k];
      for (let i = 0; i < j; i++) x -= r[i * l + j] * r[i * l + k];
      r[j * l + k] = x / rjj;
    }
  }
  return { r, pivots, dropped, droppedCount };
}

/**
 * Upper Cholesky factor R (l x l, row-major, G = R^T R) of the symmetric
 * positive definite row-major l x l matrix `g`; only the upper triangle of
 * `g` is read. Pure. Throws {@link CholeskyBreakdownError} at the first pivot
 * that is not positive.
 */
export function cholesky(g: Float64Array, l: number): Float64Array {
  if (g.length !== l * l) throw new RangeError(`An ${l}x${l} matrix needs ${l * l} entries, got ${g.length}.`);
  const factor = factorGram(g, l);
  if (factor.droppedCount > 0) {
    const column = factor.dropped.indexOf(1);
    throw new CholeskyBreakdownError(column, factor.pivots[column]);
  }
  return factor.r;
}

/**
 * Overwrites the row-major rows x l matrix `x` with X R^{-1} (side effect),
 * for the l x l row-major upper triangular `r`: each row is solved on its
 * own by forward substitution, x_j = (y_j - sum_{i<j} x_i R_ij) / R_jj, so
 * rows are independent (one GPU thread per row). Columns flagged in
 * `dropped` (whose rows of R are zero) come out as zero. Cost rows l^2 flops.
 */
export function solveUpperFromRight(
  x: Float64Array,
  rows: number,
  l: number,
  r: Float64Array,
  dropped?: Uint8Array,
): void {
  // R^T row-major, so that the column of R each step reads is contiguous.
  const rt = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) rt[j * l + i] = r[i * l + j];
  for (let row = 0; row < rows; row++) {
    const o = row * l;
    for (let j = 0; j < l; j++) {
      if (dropped !== undefined && dropped[j]) {
        x[o + j] = 0;
        continue;
      }
      let value = x[o + j];
      const oc = j * l;
      for (let i = 0; i < j; i++) value -= x[o + i] * rt[oc + i];
      x[o + j] = value / rt[oc + j];
    }
  }
}

/**
 * Product A B of two l x l row-major upper triangular matrices, itself upper
 * triangular: how CholeskyQR accumulates R = R_2 R_1 across its steps.
 * Pure; cost l^3 / 3 flops.
 */
export function multiplyUpper(a: Float64Array, b: Float64Array, l: number): Float64Array {
  const out = new Float64Array(l * l);
  for (let i = 0; i < l; i++) {
    for (let k = i; k < l; k++) {
      const aik = a[i * l + k];
      if (aik === 0) continue;
      for (let j = k; j < l; j++) out[i * l + j] += aik * b[k * l + j];
    }
  }
  return out;
}
