/**
 * Householder QR with column pivoting, float64, on a column-major work array.
 *
 * This is the pre-step of {@link svdJacobi}: for a tall p x q matrix T,
 * T P = Q R shrinks the Jacobi iteration from p-long columns to the q x q
 * triangle R, and the pivoting (largest remaining column first) makes R's
 * rows decrease in size, which helps one-sided Jacobi on R^T converge
 * (markedly so for matrices with a decaying spectrum). Kept separate from the SVD so it can be tested
 * and reused (e.g. by a GPU twin) on its own.
 */
import { NonFiniteMatrixError } from './svdFinish';

/** The compact result of {@link householderQrPivotedInPlace}. */
export interface PivotedQr {
  /** Rows of T (p >= q). */
  readonly p: number;
  /** Columns of T. */
  readonly q: number;
  /**
   * Column-major p x q, overwritten: R on and above the diagonal, the
   * Householder vectors (implicit leading 1) below it, LAPACK style.
   */
  readonly factored: Float64Array;
  /** Length q: reflector j is H_j = I - tau[j] v_j v_j^T; tau 0 means H_j = I. */
  readonly tau: Float64Array;
  /** Length q: column k of T P is column perm[k] of T. */
  readonly perm: Int32Array;
}

/**
 * Factors T P = Q R for a column-major p x q matrix T with p >= q,
 * overwriting `work` (side effect) with R and the reflectors. Pivoting picks
 * the column with the largest remaining norm, the lowest index on ties, so
 * the result is deterministic. Q is never formed; use {@link applyQ}.
 */
export function householderQrPivotedInPlace(work: Float64Array, p: number, q: number): PivotedQr {
  if (p < q) throw new RangeError(`QR pre-step needs rows >= columns, got ${p}x${q}.`);
  const tau = new Float64Array(q);
  const perm = new Int32Array(q);
  for (let k = 0; k < q; k++) perm[k] = k;

  // Partial column norms, downdated after each step as in LAPACK's xLAQP2,
  // and the value each had when last computed from scratch.
  const partial = new Float64Array(q);
  const exact = new Float64Array(q);
  for (let k = 0; k < q; k++) partial[k] = exact[k] = Math.sqrt(sumSquares(work, k * p, p));
  // Below this, the downdated norm has lost too many digits to be trusted.
  const recomputeBelow = Math.sqrt(Number.EPSILON);

  for (let j = 0; j < q; j++) {
    let pivot = j;
    for (let k = j + 1; k < q; k++) if (partial[k] > partial[pivot]) pivot = k;
    if (pivot !== j) {
      swapColumns(work, p, j, pivot);
      const t = perm[j];
      perm[j] = perm[pivot];
      perm[pivot] = t;
      partial[pivot] = partial[j];
      exact[pivot] = exact[j];
    }

    const oj = j * p;
    let tailSq = 0;
    for (let i = j + 1; i < p; i++) tailSq += work[oj + i] * work[oj + i];
    if (tailSq === 0) {
      // Already upper triangular in this column (or the last row): H_j = I.
      tau[j] = 0;
      downdateNorms(work, p, q, j, partial, exact, recomputeBelow);
      continue;
    }
    const x0 = work[oj + j];
    const norm = Math.sqrt(x0 * x0 + tailSq);
    // Reflect onto the side away from x0 so that x0 - beta never cancels.
    const beta = x0 >= 0 ? -norm : norm;
    tau[j] = (beta - x0) / beta;
    const inv = 1 / (x0 - beta);
    for (let i = j + 1; i < p; i++) work[oj + i] *= inv;
    work[oj + j] = beta;

    let k = j + 1;
    for (; k + 1 < q; k += 2) reflectTwo(work, oj, tau[j], work, k * p, (k + 1) * p, j, p);
    if (k < q) reflect(work, oj, tau[j], work, k * p, j, p);
    downdateNorms(work, p, q, j, partial, exact, recomputeBelow);
  }
  return { p, q, factored: work, tau, perm };
}

/**
 * Overwrites each of the `cols` columns of the column-major p x cols array
 * `target` with Q times it, where Q = H_0 H_1 ... H_{q-1} is the orthogonal
 * factor of `qr` (side effect on `target`). With `target` = [J; 0] this forms
 * Q J without ever building the p x q matrix Q.
 */
export function applyQ(qr: PivotedQr, target: Float64Array, cols: number): void {
  const { p, q, factored, tau } = qr;
  for (let j = q - 1; j >= 0; j--) {
    if (tau[j] === 0) continue;
    // Two columns per pass share the loads of v, which is what bounds this loop.
    let c = 0;
    for (; c + 1 < cols; c += 2) reflectTwo(factored, j * p, tau[j], target, c * p, (c + 1) * p, j, p);
    if (c < cols) reflect(factored, j * p, tau[j], target, c * p, j, p);
  }
}

/**
 * x <- (I - tau v v^T) x on rows j..p-1, where v = [1, a[ov+j+1..ov+p-1]]
 * and x = t[ot+j..ot+p-1].
 */
function reflect(
  a: Float64Array,
  ov: number,
  tau: number,
  t: Float64Array,
  ot: number,
  j: number,
  p: number,
): void {
  let w = t[ot + j];
  for (let i = j + 1; i < p; i++) w += a[ov + i] * t[ot + i];
  w *= tau;
  t[ot + j] -= w;
  for (let i = j + 1; i < p; i++) t[ot + i] -= w * a[ov + i];
}

/** {@link reflect} on two columns of `t` at once, starting at ot1 and ot2. */
function reflectTwo(
  a: Float64Array,
  ov: number,
  tau: number,
  t: Float64Array,
  ot1: number,
  ot2: number,
  j: number,
  p: number,
): void {
  let w1 = t[ot1 + j];
  let w2 = t[ot2 + j];
  for (let i = j + 1; i < p; i++) {
    const v = a[ov + i];
    w1 += v * t[ot1 + i];
    w2 += v * t[ot2 + i];
  }
  w1 *= tau;
  w2 *= tau;
  t[ot1 + j] -= w1;
  t[ot2 + j] -= w2;
  for (let i = j + 1; i < p; i++) {
    const v = a[ov + i];
    t[ot1 + i] -= w1 * v;
    t[ot2 + i] -= w2 * v;
  }
}

/**
 * After step j, removes row j's contribution from the partial norms of
 * columns j+1.., recomputing a norm from rows j+1.. when cancellation has
 * eaten too much of it.
 */
function downdateNorms(
  work: Float64Array,
  p: number,
  q: number,
  j: number,
  partial: Float64Array,
  exact: Float64Array,
  recomputeBelow: number,
): void {
  for (let k = j + 1; k < q; k++) {
    if (partial[k] === 0) continue;
    const ratio = Math.abs(work[k * p + j]) / partial[k];
    const remaining = Math.max(0, (1 - ratio) * (1 + ratio));
    const drift = partial[k] / exact[k];
    if (remaining * drift * drift <= recomputeBelow) {
      partial[k] = exact[k] = Math.sqrt(sumSquares(work, k * p + j + 1, p - j - 1));
    } else {
      partial[k] *= Math.sqrt(remaining);
    }
  }
}

function sumSquares(a: Float64Array, offset: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i++) s += a[offset + i] * a[offset + i];
  return s;
}

function swapColumns(a: Float64Array, p: number, c1: number, c2: number): void {
  const o1 = c1 * p;
  const o2 = c2 * p;
  for (let i = 0; i < p; i++) {
    const t = a[o1 + i];
    a[o1 + i] = a[o2 + i];
    a[o2 + i] = t;
  }
}

/**
 * An orthonormal basis of the column space of the row-major tall m x l
 * matrix `y` (m >= l; float32 is widened to float64): the row-major m x l
 * factor Q of a column-pivoted Householder QR, Y P = Q R. Pure. This is the
 * orthonormalization of the randomized top-k SVD (CPU twin and GPU alike,
 * the GPU reads Y back for it): Householder QR is backward stable whatever
 * the condition number of Y, so Q^T Q = I to a small multiple of l u in
 * float64, also for rank-deficient Y (then Q holds extra orthonormal
 * columns that R does not use). CholeskyQR, which squares the condition
 * number, needed a shift that float32 could not afford at m l^2 >~ 2^24.
 * Column order differs from Y's (pivoting), which a range finder does not
 * mind. Throws NonFiniteMatrixError on NaN/Infinity (a GPU read-back gone
 * wrong, say). Cost about 4 m l^2 flops.
 */
export function orthonormalBasis(y: Float32Array | Float64Array, m: number, l: number): Float64Array {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(l) || l < 1 || m < l || y.length !== m * l) {
    throw new RangeError(`An orthonormal basis needs a tall m x l matrix with m >= l >= 1 and m l entries, got [${m}, ${l}] with ${y.length}.`);
  }
  // Each column divided by a power of two near its largest entry: exact, the
  // span is unchanged, and squared norms of 1e+-200 entries stay in range.
  const columnMax = new Float64Array(l);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) throw new NonFiniteMatrixError(Math.floor(i / l), i % l, y[i]);
    columnMax[i % l] = Math.max(columnMax[i % l], Math.abs(y[i]));
  }
  const scale = columnMax.map((x) => (x > 0 ? 2 ** Math.floor(Math.log2(x)) : 1));
  const work = new Float64Array(m * l);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) work[c * m + i] = y[i * l + c] / scale[c];
  const qr = householderQrPivotedInPlace(work, m, l);
  const basis = new Float64Array(m * l);
  for (let c = 0; c < l; c++) basis[c * m + c] = 1;
  applyQ(qr, basis, l);
  const out = new Float64Array(m * l);
  for (let i = 0; i < m; i++) for (let c = 0; c < l; c++) out[i * l + c] = basis[c * m + i];
  return out;
}
