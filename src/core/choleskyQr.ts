/**
 * Thin QR of a tall m x l matrix by CholeskyQR2, float64. It was the
 * orthonormalization of the lab's randomized SVD until its float32 GPU twin
 * failed at real sizes: the shift below, taken with float32's u = 2^-24,
 * reaches the size of the Gram matrix's diagonal once 11 m l^2 u ~ 1
 * (m = 2000, l = 42), and then shrinks even an orthonormal Q. Both twins now
 * use the float64 Householder QR (householderQr.ts orthonormalBasis); this
 * stays as a tested float64 building block. CholeskyQR needs only a Gram matrix Y^T Y (a reduction over the m
 * rows), an l x l Cholesky, and a row-wise triangular solve Q = Y R^{-1};
 * the two big steps are embarrassingly parallel, which Householder QR is not.
 *
 * One CholeskyQR step loses orthogonality like cond(Y)^2 u, so it is run
 * again on its own output (CholeskyQR2: Fukaya et al. 2014, Yamamoto et al.
 * 2015). Where plain Cholesky of G = Y^T Y is not trustworthy (Y, with its
 * columns scaled to equal length, conditioned beyond about 1e4 to 1e5 for
 * the lab's sizes, or rank-deficient in floating point), the step factors
 * G + s I instead, with the shift of shifted CholeskyQR3 (Fukaya, Kannan,
 * Nakatsukasa, Yamamoto and Yanagisawa 2020), and more steps follow. The
 * paper's three steps (one shifted) suffice for cond(Y) up to about
 * 1 / (11 (m l + l^2) u); a randomized SVD of a low-rank matrix goes past
 * that (cond ~ 1/u), so steps repeat, shifted again where needed, until a
 * Gram matrix comes out near the identity. Where columns are exactly
 * dependent (a zero column, say), the step drops them (a zero row of that
 * step's R) and fills Q with orthonormal filler columns, so Q stays
 * orthonormal and Q R = Y still holds.
 */
import { factorGram, multiplyUpper, solveUpperFromRight, type GramFactor } from './cholesky';
import { completeOrthonormalColumns, NonFiniteMatrixError } from './svdFinish';

export { cholesky, CholeskyBreakdownError, solveUpperFromRight } from './cholesky';

/** Unit roundoff of float64, u = 2^-53 (half of Number.EPSILON). A GPU twin passes float32's 2^-24. */
export const FLOAT64_UNIT_ROUNDOFF = Number.EPSILON / 2;

/**
 * Most CholeskyQR steps {@link choleskyQr2} runs. A shifted step divides the
 * condition number by about sqrt(||G|| / s) ~ 1e4 to 1e5, so input with
 * cond ~ 1/u (a rank-one 4096 x 74 Y, say) takes 2 shifted and 2 plain
 * steps, cond 1e20 takes 5; well-conditioned input takes 2. The limit only
 * guards against input beyond that.
 */
export const CHOLESKY_QR_MAX_STEPS = 6;

/**
 * A step whose Gram matrix G = Q^T Q was within this of the identity in
 * Frobenius norm produced an orthonormal Q: then cond(Q)^2 <= 3, and one
 * CholeskyQR step on such a Q loses only a small multiple of l u. So
 * {@link choleskyQr2} stops after the first such step (from the second on).
 */
export const CHOLESKY_QR_NEAR_IDENTITY = 0.5;

/** Thin QR factors of a tall matrix, as returned by {@link choleskyQr2}. */
export interface CholeskyQr {
  /** m x l row-major, orthonormal columns (Q^T Q = I to rounding). */
  readonly q: Float64Array;
  /** l x l row-major upper triangular, in Y's units; Y = Q R. Not sign-normalized. */
  readonly r: Float64Array;
  readonly m: number;
  readonly l: number;
  /** CholeskyQR steps run, 2 to {@link CHOLESKY_QR_MAX_STEPS}: 2 is plain CholeskyQR2. */
  readonly steps: number;
  /** Steps whose plain Cholesky was not trusted, so that G + s I was factored instead. */
  readonly shiftedSteps: number;
  /** Columns of Q filled in as an orthonormal completion because Y was exactly rank-deficient there. */
  readonly completedColumns: number;
  /**
   * True when the last step met a Gram matrix near the identity, so Q is
   * orthonormal to rounding; false when the step limit ran out first
   * (only for Y beyond about 1/eps in condition number).
   */
  readonly converged: boolean;
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
 * to compute). In the units of G's entries; `unitRoundoff` is that of the
 * arithmetic that forms and factors G. It is just large enough that the
 * rounding errors of forming and factoring G cannot push a pivot of G + s I
 * below zero, and small enough that Y (G + s I)^{-1/2} keeps a condition
 * number CholeskyQR2 can finish.
 */
export function choleskyQrShift(m: number, l: number, traceOfGram: number, unitRoundoff = FLOAT64_UNIT_ROUNDOFF): number {
  return 11 * (m * l + l * (l + 1)) * unitRoundoff * traceOfGram;
}

/**
 * Q R = Y for the row-major tall m x l matrix `y` (m >= l >= 1; float32 is
 * widened to float64). Pure. Each step forms G = Q^T Q (Q = Y at first),
 * factors it with {@link choleskyQrStepFactor} (Cholesky, equilibrated, and
 * shifted when a pivot is at rounding level) and sets Q <- Q R_t^{-1},
 * R = R_t ... R_1. Steps repeat until one (the second or later) met a Gram
 * matrix within {@link CHOLESKY_QR_NEAR_IDENTITY} of I, at most
 * {@link CHOLESKY_QR_MAX_STEPS}: two, plain CholeskyQR2, for well-conditioned
 * Y. Where Y's columns are exactly dependent (a zero column, say), Q gets
 * filler columns ({@link completeDroppedColumns}) that Q R = Y does not
 * use. Each column of Y is first divided by a power of two near its largest
 * entry, so entries near 1e+-300 neither overflow nor underflow. Throws
 * RangeError for a bad shape (including m < l) and
 * {@link NonFiniteMatrixError} on NaN/Infinity. Cost per step 2 m l^2 flops.
 */
export function choleskyQr2(y: Float32Array | Float64Array, shape: readonly [number, number]): CholeskyQr {
  const [m, l] = shape;
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(l) || l < 1 || m < l) {
    throw new RangeError(`CholeskyQR needs a tall m x l matrix with m >= l >= 1, got shape [${m}, ${l}].`);
  }
  if (y.length !== m * l) throw new RangeError(`Shape [${m}, ${l}] needs ${m * l} entries, got ${y.length}.`);
  // Each column is divided by a power of two near its largest entry: exact,
  // keeps G's entries (squares) in range, and a column of 1e-200s next to
  // one of 1s no longer underflows in G.
  const columnMax = new Float64Array(l);
  for (let i = 0; i < y.length; i++) {
    const x = y[i];
    if (!Number.isFinite(x)) throw new NonFiniteMatrixError(Math.floor(i / l), i % l, x);
    const c = i % l;
    columnMax[c] = Math.max(columnMax[c], Math.abs(x));
  }
  const columnScale = columnMax.map((x) => (x > 0 ? 2 ** Math.floor(Math.log2(x)) : 1));
  const q = new Float64Array(m * l);
  for (let i = 0; i < q.length; i++) q[i] = y[i] / columnScale[i % l];

  let r: Float64Array | undefined;
  let shiftedSteps = 0;
  let completedColumns = 0;
  let steps = 0;
  let converged = false;
  while (steps < CHOLESKY_QR_MAX_STEPS && !converged) {
    steps++;
    const g = gramMatrix(q, m, l);
    const factor = choleskyQrStepFactor(g, m, l);
    if (factor.shifted) shiftedSteps++;
    solveUpperFromRight(q, m, l, factor.r, factor.dropped);
    if (factor.droppedCount > 0) {
      completeDroppedColumns(q, m, l, factor.dropped);
      completedColumns += factor.droppedCount;
    }
    r = r === undefined ? factor.r : multiplyUpper(factor.r, r, l);
    converged = steps >= 2 && gramDistanceFromIdentity(g, l) <= CHOLESKY_QR_NEAR_IDENTITY;
  }
  const rOut = r as Float64Array;
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) rOut[i * l + j] *= columnScale[j];
  return { q, r: rOut, m, l, steps, shiftedSteps, completedColumns, converged };
}

/** The factor of one CholeskyQR step: a {@link GramFactor} and how it was obtained. */
export interface CholeskyQrStepFactor extends GramFactor {
  /** True when plain Cholesky was not trusted and G' + s I was factored. */
  readonly shifted: boolean;
}

/**
 * The l x l factor R of one CholeskyQR step, from the Gram matrix `g` of the
 * current m x l Q (row-major, symmetric): the step is then Q <- Q R^{-1},
 * with the columns flagged in `dropped` filled by
 * {@link completeDroppedColumns}. Pure; the whole l x l decision a GPU twin
 * makes on the CPU, with its own `unitRoundoff`.
 *
 * G is first equilibrated by powers of two, G' = D^{-1} G D^{-1} with
 * d_j ~ sqrt(G_jj), and R = R' D: exact in floating point, and Cholesky's
 * rounding then depends on the condition number of Q with unit columns, not
 * on how unequal the column lengths are (van der Sluis). R' is plain
 * Cholesky of G' when every pivot stays above the shift s =
 * {@link choleskyQrShift}(m, l, trace G'); a pivot at or below s is within
 * the rounding error of G' itself, and a factor built on it could leave Q
 * with a condition number later steps cannot repair. Otherwise R' is the
 * Cholesky factor of G' + s I, in which a column adding less than
 * (l u)^2 G'_jj beyond the earlier ones is dropped (zero row of R). The
 * `pivots` are those of G' (or G' + s I).
 */
export function choleskyQrStepFactor(
  g: Float64Array,
  m: number,
  l: number,
  unitRoundoff = FLOAT64_UNIT_ROUNDOFF,
): CholeskyQrStepFactor {
  const d = new Float64Array(l);
  for (let j = 0; j < l; j++) {
    const gjj = g[j * l + j];
    d[j] = gjj > 0 ? 2 ** Math.round(Math.log2(gjj) / 2) : 1;
  }
  const equilibrated = new Float64Array(l * l);
  let trace = 0;
  for (let i = 0; i < l; i++) {
    for (let j = 0; j < l; j++) equilibrated[i * l + j] = g[i * l + j] / (d[i] * d[j]);
    trace += equilibrated[i * l + i];
  }
  const shift = choleskyQrShift(m, l, trace, unitRoundoff);
  let factor = factorGram(equilibrated, l, { absoluteFloor: shift });
  const shifted = factor.droppedCount > 0;
  // What a column adds beyond the others is rounding when below l u of its length.
  if (shifted) factor = factorGram(equilibrated, l, { shift, relativeFloor: (l * unitRoundoff) ** 2 });
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) factor.r[i * l + j] *= d[j];
  return { ...factor, shifted };
}

/** ||G - I||_F for the row-major l x l matrix `g`: how far from orthonormal the Q behind it is. */
export function gramDistanceFromIdentity(g: Float64Array, l: number): number {
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
 * Fills the columns of the row-major m x l `q` (m >= l) flagged in `dropped`
 * with an orthonormal completion (side effect), through the column-major
 * completion the Jacobi SVD uses (unit vector least covered so far,
 * Gram-Schmidt twice), so both pick the same deterministic filler vectors.
 * Rarely needed (exactly dependent columns), so a GPU twin can run it on
 * the CPU.
 */
export function completeDroppedColumns(q: Float64Array, m: number, l: number, dropped: Uint8Array): void {
  const columns = new Float64Array(m * l);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) columns[c * m + i] = q[i * l + c];
  completeOrthonormalColumns(columns, m, l, dropped);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) q[i * l + c] = columns[c * m + i];
}
