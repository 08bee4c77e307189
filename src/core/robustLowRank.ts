/**
 * Robust low rank in the l_p sense, 1 <= p <= 2: the k-dimensional subspace
 * S of R^n (the output space of a kernel W, m x n) that minimises
 *   f(S) = sum_i dist(w_i, S)^p
 * over the m rows w_i of W. p = 2 is the truncated SVD; smaller p lets a few
 * rows far from the bulk (outlier input neurons) pull the subspace less.
 *
 * Method: iteratively reweighted least squares (IRLS) as majorize-minimize.
 * Write each row's cost as g(s_i) with s_i = r_i^2, r_i = dist(w_i, S). With
 * the smoothing delta > 0 we use
 *   g(s) = s^(p/2)                                   for s >= delta^2,
 *   g(s) = (p/2) delta^(p-2) s + (1 - p/2) delta^p   for s <  delta^2,
 * i.e. rho(r) = r^p above delta and a quadratic joined with matching value
 * and slope below it. g is concave in s (g' = (p/2) max(s, delta^2)^(p/2-1)
 * does not increase for p <= 2), so its tangent at the current s_i lies
 * above it: sum_i g'(s_i^t) s_i(S) plus a constant majorizes F(S) =
 * sum_i g(s_i(S)) and touches it at S_t. The weighted least-squares step
 * minimises that majorizer exactly (the top-k eigenvectors of
 * W^T diag(c) W, c_i = max(r_i, delta)^(p-2), proportional to g'), hence
 *   F(S_{t+1}) <= F(S_t)   -- the SMOOTHED objective is the monotone one.
 * The plain objective f = sum r_i^p is not: since r^p <= rho(r) <= r^p +
 * (1 - p/2) delta^p, f(S_{t+1}) <= f(S_t) + m (1 - p/2) delta^p only. With
 * delta = 1e-8 ||W||_F that slack is far below anything visible in float64
 * unless many rows lie (almost) inside the subspace.
 *
 * The exact minimiser is not needed, only a subspace whose majorizer is not
 * above the current one's. For an orthonormal basis V the majorizer is
 *   sum_i c_i r_i(V)^2 = sum_i c_i ||w_i||^2 - trace(V^T G V),  G = W^T diag(c) W,
 * so any V with trace(V^T G V) at least the current basis's keeps F
 * non-increasing. solver 'subspace' uses that: instead of a full SVD it runs
 * a few warm-started block power steps on G from the current basis
 * (subspaceIteration.ts, about 2 m n k per step); for PSD G none of them
 * lowers the trace, and one that does by rounding is not taken. It then checks the result on the majorizer
 * itself, sum_i c_i r_i^2 with the residuals formed explicitly, and keeps the
 * old basis if that rose: the trace form cancels badly when a heavily
 * weighted row lies almost in the subspace (its c_i ||w_i||^2 swamps its
 * c_i r_i^2), so it cannot be the final judge. A kept basis ends the run.
 */
import type { TruncatedFactors } from './factors';
import { projectionFactors, topRightSubspace } from './subspaceFactors';
import { orthonormalColumns, weightedSubspaceIteration } from './subspaceIteration';
import { NonFiniteMatrixError } from './svdFinish';
import { asRank, RankOutOfRangeError, type Rank } from './units';

type Matrix = Float32Array | Float64Array;

/** Options of {@link robustLowRankFactors}. */
export interface RobustLowRankOptions {
  /** The exponent p of the row distances, 1 <= p <= 2. */
  readonly p: number;
  /** Most IRLS steps, a positive integer; default 30. */
  readonly iterations?: number;
  /** Smoothing radius relative to ||W||_F, > 0; default 1e-8. Residuals below it get a capped weight. */
  readonly delta?: number;
  /**
   * n x k, row-major, orthonormal columns: the basis to start from instead
   * of W's top-k right singular subspace (one Jacobi SVD saved when the
   * caller already has W's SVD: pass the first k columns of V). It is
   * re-orthonormalised by Householder QR (same span; an orthonormal start
   * comes back equal to rounding). Wrong length or non-finite: RangeError.
   */
  readonly start?: Float64Array;
  /**
   * How each step minimises the majorizer: 'svd' (default) exactly, by a
   * Jacobi SVD of diag(sqrt c) W; 'subspace' approximately, by warm-started
   * subspace iteration on W^T diag(c) W (see the file comment), which is
   * O(innerIterations m n k) per step instead of a full SVD.
   */
  readonly solver?: 'svd' | 'subspace';
  /** Most block power steps per IRLS step with solver 'subspace', a positive integer; default 8. */
  readonly innerIterations?: number;
  /**
   * Called after every step with the 1-based step, the plain objective
   * sum r_i^p and the smoothed (monotone) objective, both in units of W^p.
   */
  readonly onIteration?: (iteration: number, objective: number, smoothedObjective: number) => void;
}

/** Robust rank-k factors and the history of the IRLS run that chose them. */
export interface RobustLowRankFactors extends TruncatedFactors {
  /** n x k, row-major, orthonormal: the basis V of the chosen subspace (A B = W V V^T). */
  readonly basis: Float64Array;
  /** sum_i r_i^p after each step; index 0 is the start (the SVD subspace unless `start` is given). */
  readonly objective: Float64Array;
  /** sum_i rho_delta(r_i) after each step, non-increasing; index 0 is the start. */
  readonly smoothedObjective: Float64Array;
  /** The absolute smoothing radius used: delta ||W||_F, in W's units. */
  readonly deltaAbsolute: number;
}

/**
 * Rank-k factors A (m x k), B (k x n) of W V V^T, where V spans the l_p
 * subspace of W's rows found by IRLS from the SVD start (or `start`). Stops
 * early when a step lowers the smoothed objective by less than 1e-13 of
 * itself (float64 noise), so fewer than `iterations` steps may run. Factors
 * follow the lab's even sqrt(S) split (see projectionFactors). Pure apart
 * from calling `onIteration`. Cost per step: one Jacobi SVD of an m x n
 * matrix with solver 'svd', about (2 innerIterations + 3) m n k
 * multiply-adds with 'subspace'. Throws RangeError for p outside [1, 2], a
 * bad iteration count, delta, start, solver or innerIterations, or a kernel
 * that does not fit [m, n]; RankOutOfRangeError for k outside 1..min(m, n);
 * NonFiniteMatrixError for NaN or Infinity in W.
 */
export function robustLowRankFactors(
  w: Matrix,
  shape: readonly [number, number],
  k: Rank,
  options: RobustLowRankOptions,
): RobustLowRankFactors {
  const [m, n] = shape;
  const { p, iterations = 30, delta = 1e-8, onIteration, start, solver = 'svd', innerIterations = 8 } = options;
  checkArguments(w, m, n, k, p, iterations, delta);
  checkSolver(n, k, start, solver, innerIterations);
  const deltaAbsolute = delta * frobeniusNorm(w, m, n);

  let basis = start ? orthonormalColumns(start, n, k) : topRightSubspace(w, shape, k).basis;
  let residuals = rowResiduals(w, m, n, basis, k);
  const objective = [sumPower(residuals, p)];
  const smoothed = [smoothedObjective(residuals, p, deltaAbsolute)];
  // A zero kernel: every residual is 0 and there is nothing to reweight.
  for (let step = 1; step <= iterations && deltaAbsolute > 0; step++) {
    if (solver === 'svd') {
      basis = topRightSubspace(reweightedRows(w, m, n, residuals, p, deltaAbsolute), shape, k).basis;
      residuals = rowResiduals(w, m, n, basis, k);
    } else {
      ({ basis, residuals } = subspaceStep(w, shape, basis, residuals, k, p, deltaAbsolute, innerIterations));
    }
    objective.push(sumPower(residuals, p));
    smoothed.push(smoothedObjective(residuals, p, deltaAbsolute));
    onIteration?.(step, objective[step], smoothed[step]);
    if (smoothed[step - 1] - smoothed[step] <= 1e-13 * smoothed[step - 1]) break;
  }
  return {
    ...projectionFactors(w, shape, basis, k),
    basis,
    objective: Float64Array.from(objective),
    smoothedObjective: Float64Array.from(smoothed),
    deltaAbsolute,
  };
}

/**
 * sum_i rho_delta(r_i), the quantity IRLS provably does not increase (see
 * the file comment): r^p for r >= delta, (p/2) delta^(p-2) r^2 +
 * (1 - p/2) delta^p below. `delta` is absolute (W's units) and must be > 0
 * unless every residual is 0. Exported so callers and tests can evaluate it
 * for any subspace.
 */
export function smoothedObjective(residuals: Float64Array, p: number, delta: number): number {
  let sum = 0;
  for (const r of residuals) {
    sum += r >= delta ? r ** p : (p / 2) * delta ** (p - 2) * r * r + (1 - p / 2) * delta ** p;
  }
  return sum;
}

/**
 * r_i = ||w_i - V V^T w_i|| for each of the m rows of W (length m, W's
 * units), V the n x k orthonormal `basis`. The residual vector is formed
 * explicitly rather than as sqrt(|w|^2 - |V^T w|^2), which cancels to noise
 * for rows that lie almost in the subspace, exactly the rows whose weights
 * matter most for p < 2.
 */
export function rowResiduals(w: Matrix, m: number, n: number, basis: Float64Array, k: number): Float64Array {
  const out = new Float64Array(m);
  const coords = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    coords.fill(0);
    for (let j = 0; j < n; j++) {
      const wij = w[i * n + j];
      for (let c = 0; c < k; c++) coords[c] += wij * basis[j * k + c];
    }
    let sq = 0;
    for (let j = 0; j < n; j++) {
      let inside = 0;
      for (let c = 0; c < k; c++) inside += basis[j * k + c] * coords[c];
      sq += (w[i * n + j] - inside) ** 2;
    }
    out[i] = Math.sqrt(sq);
  }
  return out;
}

/**
 * diag(sqrt(c)) W with c_i = max(r_i, delta)^(p-2): the factor whose top
 * right singular vectors are the top eigenvectors of W^T diag(c) W. The
 * weights are divided by the largest one first; a common scale does not
 * move the eigenvectors, and it keeps the 1/delta-sized weights of
 * near-exact rows from overflowing anything.
 */
function reweightedRows(w: Matrix, m: number, n: number, residuals: Float64Array, p: number, delta: number): Float64Array {
  const roots = new Float64Array(m);
  let largest = 0;
  for (let i = 0; i < m; i++) {
    roots[i] = Math.max(residuals[i], delta) ** ((p - 2) / 2);
    largest = Math.max(largest, roots[i]);
  }
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const f = roots[i] / largest;
    for (let j = 0; j < n; j++) out[i * n + j] = f * w[i * n + j];
  }
  return out;
}

/**
 * One 'subspace' IRLS step from `basis` (whose residuals are given): block
 * power steps on W^T diag(c) W, accepted only if the majorizer
 * sum_i c_i r_i^2, with explicit residuals, did not rise (file comment).
 */
function subspaceStep(
  w: Matrix,
  shape: readonly [number, number],
  basis: Float64Array,
  residuals: Float64Array,
  k: number,
  p: number,
  delta: number,
  innerIterations: number,
): { basis: Float64Array; residuals: Float64Array } {
  const [m, n] = shape;
  // c_i = max(r_i, delta)^(p-2), divided by the largest as in reweightedRows.
  const weights = residuals.map((r) => Math.max(r, delta) ** (p - 2));
  const largest = weights.reduce((x, y) => Math.max(x, y), 0);
  for (let i = 0; i < m; i++) weights[i] /= largest;
  const candidate = weightedSubspaceIteration(w, shape, weights, basis, k, innerIterations).basis;
  const candidateResiduals = rowResiduals(w, m, n, candidate, k);
  const majorizer = (r: Float64Array) => r.reduce((sum, ri, i) => sum + weights[i] * ri * ri, 0);
  if (majorizer(candidateResiduals) <= majorizer(residuals)) return { basis: candidate, residuals: candidateResiduals };
  return { basis, residuals };
}

function sumPower(residuals: Float64Array, p: number): number {
  let sum = 0;
  for (const r of residuals) sum += r ** p;
  return sum;
}

function frobeniusNorm(w: Matrix, m: number, n: number): number {
  let largest = 0;
  for (let i = 0; i < m * n; i++) {
    if (!Number.isFinite(w[i])) throw new NonFiniteMatrixError(Math.floor(i / n), i % n, w[i]);
    largest = Math.max(largest, Math.abs(w[i]));
  }
  if (largest === 0) return 0;
  let sum = 0;
  for (let i = 0; i < m * n; i++) sum += (w[i] / largest) ** 2;
  return largest * Math.sqrt(sum);
}

function checkArguments(w: Matrix, m: number, n: number, k: number, p: number, iterations: number, delta: number): void {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || n < 1 || w.length !== m * n) {
    throw new RangeError(`Kernel of ${w.length} entries does not fit shape [${m}, ${n}].`);
  }
  asRank(k); // a cast number may reach here unbranded: 0, fractions and NaN are refused too
  if (k > Math.min(m, n)) throw new RankOutOfRangeError(k, Math.min(m, n), `a ${m}x${n} kernel`);
  if (!(p >= 1 && p <= 2)) throw new RangeError(`The l_p exponent p must lie in [1, 2], got ${p}.`);
  if (!Number.isSafeInteger(iterations) || iterations < 1) {
    throw new RangeError(`IRLS iterations must be a positive integer, got ${iterations}.`);
  }
  if (!(delta > 0) || delta === Infinity) throw new RangeError(`The smoothing delta must be finite and > 0, got ${delta}.`);
}

function checkSolver(n: number, k: number, start: Float64Array | undefined, solver: string, innerIterations: number): void {
  if (solver !== 'svd' && solver !== 'subspace') throw new RangeError(`The IRLS solver must be 'svd' or 'subspace', got '${solver}'.`);
  if (!Number.isSafeInteger(innerIterations) || innerIterations < 1) {
    throw new RangeError(`Inner subspace iterations must be a positive integer, got ${innerIterations}.`);
  }
  if (start === undefined) return;
  if (start.length !== n * k) throw new RangeError(`A start basis of ${k} vectors in R^${n} needs ${n * k} entries, got ${start.length}.`);
  if (!start.every(Number.isFinite)) throw new RangeError('The start basis holds NaN or Infinity; pass an orthonormal n x k basis.');
}
