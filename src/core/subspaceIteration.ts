/**
 * Warm-started subspace (block power) iteration for the top-k eigenvectors
 * of a weighted Gram matrix G = W^T diag(c) W (W m x n, c >= 0), without
 * ever forming the n x n matrix G: G V = W^T (c .* (W V)) costs 2 m n k
 * multiply-adds. Robust low rank (IRLS) calls it once per reweighting, from
 * the previous step's basis, in place of a full Jacobi SVD of diag(sqrt c) W.
 *
 * Each iteration orthonormalises Z = G V by Householder QR in float64
 * (orthonormal to rounding even when Z is rank-deficient, which Gram-Schmidt
 * is not) and then rotates the new basis Q by the eigenvectors of the k x k
 * Rayleigh quotient H = Q^T G Q (Rayleigh-Ritz, cyclic Jacobi), so that the
 * basis comes out ordered by Ritz value. trace(V^T G V) = trace(H) is what
 * the caller needs to grow; for PSD G a block power step does not lower it
 * in exact arithmetic, and a step that does in floating point is not taken.
 *
 * Going through G squares W's spectrum, so directions with singular values
 * below about 1e-8 of the largest are resolved only to rounding. That is
 * harmless here: the caller judges every basis by its own objective and
 * keeps the old one when the new one is not better.
 */
import { applyQ, householderQrPivotedInPlace } from './householderQr';
import { matmul, matmulTransposeA } from './matmul';

type Matrix = Float32Array | Float64Array;

/** Relative size of the rounding in a trace of weighted squares, below which a gain means nothing. */
const ROUNDING = 1e-14;

/** The basis a {@link weightedSubspaceIteration} run ended with. */
export interface WeightedSubspace {
  /** n x k, row-major, orthonormal, columns ordered by decreasing Ritz value (the start itself when no step was accepted). */
  readonly basis: Float64Array;
  /** trace(basis^T G basis), in units of c W^2. */
  readonly trace: number;
  /** Block power steps accepted, 0 .. maxIterations. */
  readonly iterations: number;
}

/**
 * Improves the orthonormal n x k `start` towards the top-k eigenvectors of
 * G = W^T diag(weights) W by at most `maxIterations` block power steps with
 * Rayleigh-Ritz. Stops early once trace(V^T G V) grows by less than
 * `tolerance` of what it still lacks of sum_i c_i ||w_i||^2 (or by less than
 * its own rounding), and at the first step that would lower it, which is
 * not taken. `w` is row-major m x n, `weights` length m and >= 0, `start`
 * orthonormal. Pure. Cost about 2 m n k per step plus O(n k^2 + k^3). The
 * caller checks shapes.
 */
export function weightedSubspaceIteration(
  w: Matrix,
  shape: readonly [number, number],
  weights: Float64Array,
  start: Float64Array,
  k: number,
  maxIterations: number,
  tolerance = 1e-12,
): WeightedSubspace {
  const [m, n] = shape;
  let basis = start;
  let projected = matmul(w, shape, basis, [n, k]); // W V, m x k
  let trace = weightedTrace(projected, weights, m, k);
  // sum_i c_i ||w_i||^2: trace(V^T G V) can approach it but never pass it.
  let total = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) total += weights[i] * w[i * n + j] ** 2;
  let iterations = 0;
  while (iterations < maxIterations) {
    const grown = matmulTransposeA(w, shape, scaleRows(projected, weights, m, k), [m, k]); // G V, n x k
    if (!grown.some((x) => x !== 0)) break; // V lies in G's null space: nothing to grow
    const q = orthonormalColumns(grown, n, k);
    const wq = matmul(w, shape, q, [n, k]);
    const rayleigh = weightedGram(wq, weights, m, k); // Q^T G Q
    let newTrace = 0;
    for (let c = 0; c < k; c++) newTrace += rayleigh[c * k + c];
    if (!(newTrace >= trace)) break; // rounding only, for PSD G; keep the better basis
    const ritz = symmetricEigen(rayleigh, k);
    basis = matmul(q, [n, k], ritz.vectors, [k, k]);
    projected = matmul(wq, [m, k], ritz.vectors, [k, k]);
    iterations++;
    const gain = newTrace - trace;
    trace = newTrace;
    // Relative to what is left, total - trace (the caller's majorizer), not
    // to the trace: heavily weighted rows inside the subspace make the trace
    // huge while the part that moves stays small. Gains below the trace's
    // rounding are noise.
    if (gain <= tolerance * (total - trace) || gain <= ROUNDING * total) break;
  }
  return { basis, trace, iterations };
}

/**
 * An orthonormal basis (rows x cols, row-major, rows >= cols) of the span of
 * the columns of `x`, by pivoted Householder QR in float64, completed by
 * arbitrary orthonormal directions where `x` is rank-deficient. Columns are
 * put back in x's order with the signs of x's, so an `x` that is already
 * orthonormal comes back equal to it up to rounding. Pure; `x` is scaled by
 * its largest entry first so squared norms neither overflow nor underflow.
 */
export function orthonormalColumns(x: Float64Array, rows: number, cols: number): Float64Array {
  let largest = 0;
  for (const v of x) largest = Math.max(largest, Math.abs(v));
  const scale = largest > 0 ? 1 / largest : 1;
  const work = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) work[j * rows + i] = x[i * cols + j] * scale;
  const qr = householderQrPivotedInPlace(work, rows, cols);
  const thin = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) thin[c * rows + c] = 1;
  applyQ(qr, thin, cols);
  // Column c of Q goes with column perm[c] of x; R's diagonal carries its sign.
  const out = new Float64Array(rows * cols);
  for (let c = 0; c < cols; c++) {
    const sign = qr.factored[c * rows + c] < 0 ? -1 : 1;
    const target = qr.perm[c];
    for (let i = 0; i < rows; i++) out[i * cols + target] = sign * thin[c * rows + i];
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric k x k matrix by cyclic two-sided
 * Jacobi: values descending, vectors (k x k, row-major) in matching columns.
 * Jacobi rather than tridiagonal QR because k is small (the rank) and it is
 * accurate for the small eigenvalues too. Pure.
 */
export function symmetricEigen(h: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(h);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < k; i++) {
      diag += a[i * k + i] ** 2;
      for (let j = i + 1; j < k; j++) off += a[i * k + j] ** 2;
    }
    if (!(off > 1e-30 * diag)) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = a[p * k + q];
        if (apq === 0) continue;
        // tan(2 theta) = 2 a_pq / (a_qq - a_pp); the smaller root keeps |theta| <= pi/4.
        const tau = (a[q * k + q] - a[p * k + p]) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.hypot(1, tau));
        const c = 1 / Math.hypot(1, t);
        const s = t * c;
        rotate(a, k, p, q, c, s, k, 1); // A <- A J: columns p and q
        rotate(a, k, p, q, c, s, 1, k); // A <- J^T A: rows p and q
        rotate(v, k, p, q, c, s, k, 1); // V <- V J
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => a[j * k + j] - a[i * k + i]);
  const values = Float64Array.from(order, (i) => a[i * k + i]);
  const vectors = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) vectors[r * k + c] = v[r * k + order[c]];
  return { values, vectors };
}

/** Rotates lines p and q of the k x k `a`: entry i of line p is a[i * along + p * stride] (columns: along k, stride 1). */
function rotate(a: Float64Array, k: number, p: number, q: number, c: number, s: number, along: number, stride: number): void {
  for (let i = 0; i < k; i++) {
    const x = a[i * along + p * stride];
    const y = a[i * along + q * stride];
    a[i * along + p * stride] = c * x - s * y;
    a[i * along + q * stride] = s * x + c * y;
  }
}

function scaleRows(y: Float64Array, weights: Float64Array, m: number, k: number): Float64Array {
  const out = new Float64Array(m * k);
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) out[i * k + c] = weights[i] * y[i * k + c];
  return out;
}

function weightedTrace(y: Float64Array, weights: Float64Array, m: number, k: number): number {
  let sum = 0;
  for (let i = 0; i < m; i++) for (let c = 0; c < k; c++) sum += weights[i] * y[i * k + c] ** 2;
  return sum;
}

/** Y^T diag(weights) Y, k x k, symmetric by construction. */
function weightedGram(y: Float64Array, weights: Float64Array, m: number, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < k; c++) {
      const f = weights[i] * y[i * k + c];
      for (let d = c; d < k; d++) out[c * k + d] += f * y[i * k + d];
    }
  }
  for (let c = 0; c < k; c++) for (let d = 0; d < c; d++) out[c * k + d] = out[d * k + c];
  return out;
}
