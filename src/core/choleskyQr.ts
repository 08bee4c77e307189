/**
 * Thin QR of a tall m x l matrix by CholeskyQR2, float64: the
 * orthonormalization inside the lab's randomized SVD, and the CPU twin of the
 * GPU one. CholeskyQR needs only a Gram matrix Y^T Y (a reduction over the m
 * rows), an l x l Cholesky, and a row-wise triangular solve Q = Y R^{-1};
 * the two big steps are embarrassingly parallel, which Householder QR is not.
 *
 * One CholeskyQR step loses orthogonality like cond(Y)^2 eps, so it is run
 * again on its own output (CholeskyQR2, Fukaya, Nakatsukasa, Yanagisawa and
 * Yamamoto 2014). Where plain Cholesky of G = Y^T Y fails (Y is ill
 * conditioned beyond about 1/sqrt(eps), or rank-deficient in floating
 * point), the first step factors G + s I instead, with the shift of
 * shifted CholeskyQR3 (Fukaya, Kannan, Nakatsukasa, Yamamoto and Yanagisawa
 * 2020), and a third step follows. Columns that are exactly dependent (a zero
 * column, say) end up with a zero row of R and an orthonormal filler column
 * in Q, so that Q stays orthonormal and Q R = Y still holds.
 */
import { factorGram, multiplyUpper, solveUpperFromRight, type GramFactor } from './cholesky';
import { completeOrthonormalColumns, NonFiniteMatrixError } from './svdFinish';

export { cholesky, CholeskyBreakdownError, solveUpperFromRight } from './cholesky';

/** Unit roundoff of float64, u = 2^-53 (half of Number.EPSILON). */
const UNIT_ROUNDOFF = Number.EPSILON / 2;

/**
 * Most CholeskyQR steps {@link choleskyQr2} runs: a shifted step leaves Q
 * with condition number up to about u^{-1/2}, the next brings it to O(1),
 * and the third to orthonormal at rounding level.
 */
export const CHOLESKY_QR_MAX_STEPS = 3;

/**
 * A step whose Gram matrix G = Q^T Q was within this of the identity in
 * Frobenius norm produced an orthonormal Q: then cond(Q)^2 <= 3, and one
 * CholeskyQR step on such a Q loses only a small multiple of l u.
 */
const NEAR_IDENTITY = 0.5;

/** Thin QR factors of a tall matrix, as returned by {@link choleskyQr2}. */
export interface CholeskyQr {
  /** m x l row-major, orthonormal columns (Q^T Q = I to rounding). */
  readonly q: Float64Array;
  /** l x l row-major upper triangular, in Y's units; Y = Q R. Not sign-normalized. */
  readonly r: Float64Array;
  readonly m: number;
  readonly l: number;
  /** CholeskyQR steps run: 2, or 3 after a shifted first step or a poorly conditioned second one. */
  readonly steps: number;
  /** True when plain Cholesky of Y^T Y was not trusted and G + s I was factored instead. */
  readonly shifted: boolean;
  /** Columns of Q filled in as an orthonormal completion because Y was exactly rank-deficient there. */
  readonly completedColumns: number;
}

/**
 * Gram matrix G = X^T X (cols x cols, row-major, symmetric) of the row-major
 * rows x cols matrix `x`, accumulated in float64 row by row. Pure; cost
 * rows cols^2 flops. The reduction a GPU twin runs as a kernel.
 */
export function gramMatrix(x: Float64Array, rows: number, cols: number): Float64Array {
  const g = new Float64Array(cols * cols);
  for (let row = 0; row < rows; row++) {
    const o = row * cols;
    for (let a = 0; a < cols; a++) {
      const xa = x[o + a];
      if (xa === 0) continue;
      const ga = a * cols;
      for (let b = a; b < cols; b++) g[ga + b] += xa * x[o + b];
    }
  }
  for (let a = 0; a < cols; a++) for (let b = 0; b < a; b++) g[a * cols + b] = g[b * cols + a];
  return g;
}

/**
 * The diagonal shift s = 11 (m l + l (l + 1)) u ||G||_2 of shifted
 * CholeskyQR3, with u = 2^-53 and trace(G) = ||Y||_F^2 standing in for
 * ||G||_2 = ||Y||_2^2 (an upper bound, within a factor l, that costs nothing
 * to compute). In the units of G's entries. It is just large enough that the
 * rounding errors of forming and factoring G cannot push a pivot of G + s I
 * below zero, and small enough that Y (G + s I)^{-1/2} keeps a condition
 * number CholeskyQR2 can finish.
 */
export function choleskyQrShift(m: number, l: number, traceOfGram: number): number {
  return 11 * (m * l + l * (l + 1)) * UNIT_ROUNDOFF * traceOfGram;
}

/**
 * Q R = Y for the row-major tall m x l matrix `y` (m >= l >= 1; float32 is
 * widened to float64). Pure. Step 1 factors G = Y^T Y by Cholesky; if any
 * pivot comes out at or below the shift s of {@link choleskyQrShift} (so the
 * factor is not above its own rounding error), it factors G + s I instead.
 * Then Q <- Q R_t^{-1} with R_t = chol(Q^T Q) until a step met a Gram matrix
 * near the identity (2 steps for cond(Y) up to ~1e7, at most 3), with
 * R = R_t ... R_1. A Gram pivot at rounding level of its column
 * ((l u)^2 G_jj) marks an exactly dependent column: its row of R is zero and
 * its Q column is filled by Gram-Schmidt from a unit vector. Y is scaled by a
 * power of two first, so entries near 1e+-300 neither overflow nor underflow.
 * Throws RangeError for a bad shape (including m < l) and
 * {@link NonFiniteMatrixError} on NaN/Infinity. Cost per step 2 m l^2 flops.
 */
export function choleskyQr2(y: Float32Array | Float64Array, shape: readonly [number, number]): CholeskyQr {
  const [m, l] = shape;
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(l) || l < 1 || m < l) {
    throw new RangeError(`CholeskyQR needs a tall m x l matrix with m >= l >= 1, got shape [${m}, ${l}].`);
  }
  if (y.length !== m * l) throw new RangeError(`Shape [${m}, ${l}] needs ${m * l} entries, got ${y.length}.`);
  let maxAbs = 0;
  for (let i = 0; i < y.length; i++) {
    const x = y[i];
    if (!Number.isFinite(x)) throw new NonFiniteMatrixError(Math.floor(i / l), i % l, x);
    maxAbs = Math.max(maxAbs, Math.abs(x));
  }
  // Power-of-two scaling is exact; it keeps G's entries (squares) in range.
  const scale = maxAbs > 0 ? 2 ** Math.floor(Math.log2(maxAbs)) : 1;
  const q = new Float64Array(m * l);
  for (let i = 0; i < q.length; i++) q[i] = y[i] / scale;

  let r: Float64Array | undefined;
  let shifted = false;
  let completedColumns = 0;
  let steps = 0;
  while (steps < CHOLESKY_QR_MAX_STEPS) {
    steps++;
    const g = gramMatrix(q, m, l);
    let factor: GramFactor;
    if (steps === 1) {
      const first = firstStepFactor(g, m, l);
      factor = first.factor;
      shifted = first.shifted;
    } else {
      factor = factorGram(g, l, { relativeFloor: dependentColumnFloor(l) });
    }
    solveUpperFromRight(q, m, l, factor.r, factor.dropped);
    if (factor.droppedCount > 0) {
      completeRowMajorColumns(q, m, l, factor.dropped);
      completedColumns += factor.droppedCount;
    }
    r = r === undefined ? factor.r : multiplyUpper(factor.r, r, l);
    if (steps >= 2 && distanceFromIdentity(g, l) <= NEAR_IDENTITY) break;
  }
  const rOut = r as Float64Array;
  for (let i = 0; i < rOut.length; i++) rOut[i] *= scale;
  return { q, r: rOut, m, l, steps, shifted, completedColumns };
}

/**
 * Pivot floor, relative to the column's own G_jj, below which the column is
 * exactly dependent on the earlier ones: what is left of it is no more than
 * l u of its length, rounding. Dropping it changes Q R by that much only.
 */
function dependentColumnFloor(l: number): number {
  return (l * UNIT_ROUNDOFF) ** 2;
}

/**
 * Step 1's factor: plain Cholesky of G when every pivot stays above the shift
 * s; otherwise Cholesky of G + s I. A pivot at or below s is within the
 * rounding error of G itself, so a factor built on it would give Q a
 * condition number that even two more steps may not repair.
 */
function firstStepFactor(g: Float64Array, m: number, l: number): { factor: GramFactor; shifted: boolean } {
  let trace = 0;
  for (let j = 0; j < l; j++) trace += g[j * l + j];
  const shift = choleskyQrShift(m, l, trace);
  const plain = factorGram(g, l, { absoluteFloor: shift });
  if (plain.droppedCount === 0) return { factor: plain, shifted: false };
  return { factor: factorGram(g, l, { shift, relativeFloor: dependentColumnFloor(l) }), shifted: true };
}

/** ||G - I||_F for the row-major l x l matrix `g`. */
function distanceFromIdentity(g: Float64Array, l: number): number {
  let sum = 0;
  for (let a = 0; a < l; a++) {
    for (let b = 0; b < l; b++) {
      const d = g[a * l + b] - (a === b ? 1 : 0);
      sum += d * d;
    }
  }
  return Math.sqrt(sum);
}

/**
 * Fills the columns of the row-major m x l `q` flagged in `dropped` with an
 * orthonormal completion (side effect), via the column-major completion the
 * Jacobi SVD uses, so both pick the same deterministic filler vectors.
 */
function completeRowMajorColumns(q: Float64Array, m: number, l: number, dropped: Uint8Array): void {
  const columns = new Float64Array(m * l);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) columns[c * m + i] = q[i * l + c];
  completeOrthonormalColumns(columns, m, l, dropped);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) q[i * l + c] = columns[c * m + i];
}
