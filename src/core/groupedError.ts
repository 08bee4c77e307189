/**
 * The error ALDS actually makes. A kernel W (m x n, row-major) cut into k
 * groups of contiguous rows W_1..W_k, each replaced by its rank-j
 * truncation, leaves the stacked error E = [E_1; ...; E_k], E_g = W_g -
 * trunc_j(W_g). Its spectral norm lies between max_g ||E_g||_2 =
 * max_g s_{j+1}(W_g) (the paper's eps, a lower bound) and sqrt(k) times
 * that; on mlp-512's output layer in 64 groups of rank 1 the true error was
 * 3.7x the lower bound. This file computes it.
 *
 * E^T E = sum_g E_g^T E_g = sum_g sum_{i > j} s_gi^2 v_gi v_gi^T (the
 * truncation error of each group lies in its trailing right singular
 * vectors), so ||E||_2^2 is the largest eigenvalue of an n x n PSD matrix
 * that is a sum of rank-one terms: a matrix-vector product costs
 * 2 (m - k j) n flops, and the largest eigenvalue comes from a few Lanczos
 * steps (full reorthogonalization, float64), warm-started from the previous
 * rank's eigenvector since one rank more removes only k terms.
 */
import { svdJacobi, type Svd } from './svd';

/** Lanczos steps at most per rank; the warm start usually needs far fewer. */
const MAX_STEPS = 60;
/** Stop when the Ritz pair's residual is this small relative to its value: the value is then correct to about its square. */
const RESIDUAL_TOL = 1e-9;

/**
 * errors[j - 1] = ||E(j)||_2 / sigmaMax for j = 1..upTo, where E(j) is the
 * stacked error of the groups' rank-j truncations (see the module comment),
 * from the groups' SVDs `groups` (each W_g's thin SVD, all with n columns)
 * and sigmaMax = s_1(W). Non-increasing in j (each rank removes terms, so
 * the exact values are; the computed ones are clamped to keep it so), 0 from
 * the rank where every group is exact. With one group the value is
 * s_{j+1}(W) / s_1(W) directly. Pure. Throws RangeError when upTo exceeds
 * the groups' smallest rank or the SVDs disagree on n.
 */
export function groupedErrors(groups: readonly Svd[], sigmaMax: number, upTo: number): Float64Array {
  const n = groups[0]?.n ?? 0;
  const groupRank = Math.min(...groups.map((g) => g.r));
  if (groups.some((g) => g.n !== n)) throw new RangeError('The groups of one kernel must have the same number of columns.');
  if (!Number.isSafeInteger(upTo) || upTo < 0 || upTo > groupRank) throw new RangeError(`Ranks 1..${groupRank} exist, asked for 1..${upTo}.`);
  const errors = new Float64Array(upTo);
  if (!(sigmaMax > 0)) return errors;
  if (groups.length === 1) {
    for (let j = 1; j <= upTo; j++) errors[j - 1] = (groups[0].s[j] ?? 0) / sigmaMax;
    return errors;
  }
  const terms = scaledDirections(groups);
  let start = seededVector(n);
  for (let j = 1; j <= upTo; j++) {
    const tail = terms.filter((t) => t.index >= j && t.scale > 0);
    if (tail.length === 0) break; // every group exact from here on: the rest stay 0
    const top = largestEigenpair((x, out) => applyTail(tail, x, out), n, start);
    start = top.vector;
    const value = Math.sqrt(Math.max(0, top.value)) / sigmaMax;
    errors[j - 1] = j > 1 ? Math.min(value, errors[j - 2]) : value;
  }
  return errors;
}

/** One rank-one term s_gi v_gi of E^T E's sum: `index` is i (0-based), the term is dropped once j > i. */
interface Term {
  readonly index: number;
  readonly scale: number;
  readonly direction: Float64Array;
}

function scaledDirections(groups: readonly Svd[]): Term[] {
  const terms: Term[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.r; i++) {
      const direction = new Float64Array(g.n);
      for (let c = 0; c < g.n; c++) direction[c] = g.v[c * g.r + i] * g.s[i];
      terms.push({ index: i, scale: g.s[i], direction });
    }
  }
  return terms;
}

/** out = sum over the terms of t (t . x). */
function applyTail(tail: readonly Term[], x: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (const { direction: t } of tail) {
    let dot = 0;
    for (let c = 0; c < t.length; c++) dot += t[c] * x[c];
    if (dot === 0) continue;
    for (let c = 0; c < t.length; c++) out[c] += dot * t[c];
  }
}

/** A fixed, full vector (every direction present), so a start never misses the top eigenvector. */
function seededVector(n: number): Float64Array {
  const v = new Float64Array(n);
  let a = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    v[i] = a / 4294967296 - 0.5;
  }
  return v;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * The largest eigenvalue (and its vector) of a symmetric PSD operator by
 * Lanczos with full reorthogonalization, started from `start` mixed with a
 * fixed full vector (a warm start alone could be orthogonal to the top
 * eigenvector; the mix keeps every direction in the Krylov space). The
 * tridiagonal matrix's eigenpairs come from the lab's Jacobi SVD (it is
 * PSD, so its singular pairs are its eigenpairs). Stops when the Ritz
 * residual beta |y_last| <= RESIDUAL_TOL theta, or the space is exhausted.
 */
export function largestEigenpair(
  apply: (x: Float64Array, out: Float64Array) => void,
  n: number,
  start: Float64Array,
): { value: number; vector: Float64Array } {
  const q0 = seededVector(n);
  const startNorm = Math.sqrt(dot(start, start));
  const mixNorm = Math.sqrt(dot(q0, q0));
  for (let i = 0; i < n; i++) q0[i] = (startNorm > 0 ? start[i] / startNorm : 0) + (0.1 * q0[i]) / mixNorm;
  const basis: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let q = scaled(q0, 1 / Math.sqrt(dot(q0, q0)));
  const w = new Float64Array(n);
  let best: { value: number; y: Float64Array } = { value: 0, y: new Float64Array([1]) };
  for (let step = 0; step < Math.min(MAX_STEPS, n); step++) {
    basis.push(q);
    apply(q, w);
    alpha.push(dot(q, w));
    // Full reorthogonalization, twice (classical Gram-Schmidt with a second pass): keeps the basis orthonormal in float64.
    for (let pass = 0; pass < 2; pass++) {
      for (const b of basis) {
        const c = dot(b, w);
        for (let i = 0; i < n; i++) w[i] -= c * b[i];
      }
    }
    const b = Math.sqrt(dot(w, w));
    best = ritz(alpha, beta);
    const residual = b * Math.abs(best.y[best.y.length - 1]);
    if (residual <= RESIDUAL_TOL * best.value || b <= 1e-14 * Math.max(best.value, Number.MIN_VALUE)) break;
    beta.push(b);
    q = scaled(w, 1 / b);
  }
  const vector = new Float64Array(n);
  for (let c = 0; c < best.y.length; c++) {
    const v = basis[c];
    for (let i = 0; i < n; i++) vector[i] += best.y[c] * v[i];
  }
  return { value: best.value, vector };
}

/** A new vector: v times factor. */
function scaled(v: Float64Array, factor: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * factor;
  return out;
}

/** The top eigenpair of the symmetric tridiagonal matrix (alpha on the diagonal, beta beside it). */
function ritz(alpha: readonly number[], beta: readonly number[]): { value: number; y: Float64Array } {
  const size = alpha.length;
  if (size === 1) return { value: alpha[0], y: new Float64Array([1]) };
  const t = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    t[i * size + i] = alpha[i];
    if (i + 1 < size) t[i * size + i + 1] = t[(i + 1) * size + i] = beta[i];
  }
  const svd = svdJacobi(t, [size, size]);
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) y[i] = svd.v[i * size];
  return { value: svd.s[0], y };
}
