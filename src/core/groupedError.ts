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
 * 4 (m - k j) n flops, and the largest eigenvalue comes from Lanczos
 * (full reorthogonalization, float64), started from the eigenvector of the
 * nearest rank already solved. The Ritz value is a lower estimate of the
 * eigenvalue, so the error is never overstated.
 */
import { svdJacobi, type Svd } from './svd';

/** Lanczos steps at most per rank (the tail spectra are clustered: 25-35 steps on mlp-512's fc1). */
const MAX_STEPS = 60;
/**
 * Stop when the Ritz pair's residual is this small relative to its value.
 * The value is then off by about the residual squared over the gap to the
 * next eigenvalue (1.3e-10 relative at worst on the kernels tested), and
 * never by more than the residual itself (a cluster at the top). 1e-9 gave
 * 1e-15 but took twice the steps.
 */
const RESIDUAL_TOL = 1e-5;

/** Which error a question is about: the true one, or one of its cheap bounds (max_g and sqrt(sum_g) of the groups' own errors). */
export type ErrorMeasure = 'exact' | 'lower' | 'upper';

/**
 * The true grouped error ||E(j)||_2 / sigmaMax of one grouping at any rank
 * j, computed on first use and memoized (see the module comment), from the
 * groups' thin SVDs `groups` (all with n columns; each W_g's) and
 * sigmaMax = s_1(W). A solve starts from the eigenvector of the nearest rank
 * already solved. The exact values are non-increasing in j; a computed one
 * is clamped between its solved neighbours' so that the memo stays so. With
 * one group the value is s_{j+1}(W) / s_1(W) directly; from the rank where
 * every group is exact it is 0. Throws RangeError when the SVDs disagree on n.
 */
export class GroupedErrors {
  /** The largest rank every group admits: min over groups of r_g. */
  readonly ranks: number;
  private readonly blocks: readonly ScaledRows[];
  private readonly n: number;
  private readonly solved = new Map<number, { value: number; vector: Float64Array }>();

  constructor(
    private readonly groups: readonly Svd[],
    private readonly sigmaMax: number,
  ) {
    this.n = groups[0]?.n ?? 0;
    if (groups.some((g) => g.n !== this.n)) throw new RangeError('The groups of one kernel must have the same number of columns.');
    this.ranks = Math.min(...groups.map((g) => g.r));
    this.blocks = groups.length > 1 ? groups.map(scaledRows) : [];
  }

  /**
   * Whether ||E(j)||_2 / s_1(W) <= eps, deciding from the bounds
   * max_g s_{j+1}(W_g) <= ||E(j)||_2 <= sqrt(sum_g s_{j+1}(W_g)^2) (the
   * groups' spectral norms, and the norm of the sum of their Gram matrices
   * bounded by the sum of norms) where they agree, and solving only in
   * between. `measure` 'lower' or 'upper' answers for that bound instead,
   * never solving (for a rank already solved, or one group, the exact value
   * is known and used: it lies between the bounds, so the answer still
   * errs on that bound's side). Throws RangeError on j out of range.
   */
  within(j: number, eps: number, measure: ErrorMeasure = 'exact'): boolean {
    this.check(j);
    if (this.solved.has(j) || !(this.sigmaMax > 0) || this.groups.length === 1) return this.at(j) <= eps;
    const { lower, upper } = this.bounds(j);
    if (measure === 'lower') return lower <= eps;
    if (measure === 'upper') return upper <= eps;
    if (lower > eps) return false;
    if (upper <= eps) return true;
    return this.at(j) <= eps;
  }

  /**
   * The cheap bounds of the error at rank j, nothing solved: lower =
   * max_g s_{j+1}(W_g) / s_1(W) (the paper's eps), upper =
   * sqrt(sum_g s_{j+1}(W_g)^2) / s_1(W). Throws RangeError on j out of range.
   */
  bounds(j: number): { lower: number; upper: number } {
    this.check(j);
    if (!(this.sigmaMax > 0)) return { lower: 0, upper: 0 };
    let lower = 0;
    let sumSq = 0;
    for (const g of this.groups) {
      const s = (g.s[j] ?? 0) / this.sigmaMax;
      lower = Math.max(lower, s);
      sumSq += s * s;
    }
    return { lower, upper: Math.sqrt(sumSq) };
  }

  /** ||E(j)||_2 / s_1(W) for 1 <= j <= ranks. Throws RangeError on j out of range. */
  at(j: number): number {
    this.check(j);
    const known = this.solved.get(j);
    if (known) return known.value;
    if (!(this.sigmaMax > 0)) return 0;
    if (this.groups.length === 1) return (this.groups[0].s[j] ?? 0) / this.sigmaMax;
    // Group g's terms i >= j that are not zero: rows j .. live - 1 of its block.
    if (this.blocks.every((b) => b.live <= j)) return 0; // every group exact from here on
    const below = this.nearest(j, -1);
    const above = this.nearest(j, 1);
    const start = below?.vector ?? above?.vector ?? seededVector(this.n);
    const top = largestEigenpair((x, out) => applyTail(this.blocks, j, x, out), this.n, start);
    let value = Math.sqrt(Math.max(0, top.value)) / this.sigmaMax;
    if (below) value = Math.min(value, below.value);
    if (above) value = Math.max(value, above.value);
    this.solved.set(j, { value, vector: top.vector });
    return value;
  }

  private check(j: number): void {
    if (!Number.isSafeInteger(j) || j < 1 || j > this.ranks) throw new RangeError(`Ranks 1..${this.ranks} exist, asked for ${j}.`);
  }

  /** The closest solved rank on one side of j (direction -1: below, +1: above). */
  private nearest(j: number, direction: -1 | 1): { value: number; vector: Float64Array } | null {
    let best: number | null = null;
    for (const r of this.solved.keys()) {
      if ((r - j) * direction > 0 && (best === null || Math.abs(r - j) < Math.abs(best - j))) best = r;
    }
    return best === null ? null : this.solved.get(best)!;
  }
}

/** A group's terms s_i v_i^T as the rows of one r x n block (row-major), and how many lead rows are non-zero. */
interface ScaledRows {
  readonly rows: Float64Array;
  readonly n: number;
  /** Rows 0 .. live - 1 have s_i > 0; the rest are zero and skipped. */
  readonly live: number;
}

function scaledRows(g: Svd): ScaledRows {
  const rows = new Float64Array(g.r * g.n);
  let live = 0;
  for (let i = 0; i < g.r; i++) {
    if (g.s[i] > 0) live = i + 1;
    for (let c = 0; c < g.n; c++) rows[i * g.n + c] = g.v[c * g.r + i] * g.s[i];
  }
  return { rows, n: g.n, live };
}

/** out = sum over the groups' rows i >= j of t_i (t_i . x): E(j)^T E(j) x. */
function applyTail(blocks: readonly ScaledRows[], j: number, x: Float64Array, out: Float64Array): void {
  out.fill(0);
  for (const { rows, n, live } of blocks) {
    for (let i = j; i < live; i++) {
      const base = i * n;
      let dot = 0;
      for (let c = 0; c < n; c++) dot += rows[base + c] * x[c];
      for (let c = 0; c < n; c++) out[c] += dot * rows[base + c];
    }
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
