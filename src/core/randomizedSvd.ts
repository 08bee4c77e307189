/**
 * Top-k SVD by randomized range finding with power iterations, float64: the
 * CPU twin of the lab's GPU top-k SVD, and the expected answer in its tests.
 *
 * Method (Halko, Martinsson and Tropp 2011, Algorithms 4.4 and 5.1): draw a
 * Gaussian test matrix Omega (n x l, l = k + oversampling), sample the range
 * Y = A Omega, orthonormalize; q power iterations Z = A^T Q, Y = A Z sharpen
 * the sample towards the top singular directions, with an orthonormalization
 * after every product, because without it the columns of (A A^T)^q A Omega
 * all collapse onto the top singular vector in floating point. The
 * orthonormalization is a Householder QR of the m x l (or n x l) block in
 * float64 ({@link orthonormalBasis}): backward stable at any size and
 * condition, where the CholeskyQR used before needed a shift that float32
 * cannot afford once 11 m l^2 2^-24 nears 1 (m = 2000, l = 42). Then the
 * small B = Q^T A (l x n) gets an exact Jacobi SVD, U = Q U_B, the top k are
 * kept, and each triplet gets its residual ||A v_i - s_i u_i||_2, an
 * a-posteriori error bound the lab shows next to the spectrum. Each step is
 * a separate function call on plain arrays, in the order a GPU dispatcher
 * follows; {@link randomizedSvdPlan} gives every size.
 */
import { orthonormalBasis } from './householderQr';
import { matmul, matmulTransposeA } from './matmul';
import { mulberry32 } from './sampling';
import { svdJacobi, type Svd } from './svd';
import { fixSigns, NonFiniteMatrixError } from './svdFinish';
import { asRank, RankOutOfRangeError } from './units';

/** Seed of the test matrix when none is given, so that runs repeat exactly. */
export const DEFAULT_RANDOMIZED_SVD_SEED = 0x5eed;

/**
 * The accuracy the defaults are chosen for: s_1..s_k within 1% of the exact
 * singular values, each relative to itself. Measured (float64 and WebGPU
 * float32) on the bundled mlp-512 kernels (fc1 784x512 and fc2 512x256 at
 * k = 32, the hard case: s_32 and s_33 differ by 0.7%) and on a slow 1/i
 * decay; with k + 10 samples and 2 power iterations s_32 of fc1 was 9% low.
 * A claim tested on those matrices, not a theorem: each result also carries
 * its own a-posteriori bound, {@link RandomizedSvd.residuals}.
 */
export const TOP_K_SINGULAR_VALUE_TOLERANCE = 0.01;

/** Default power iterations: 8 bring s_32 of mlp-512's fc1 and fc2 within 0.4% (2 left it 9% low). */
export const DEFAULT_POWER_ITERATIONS = 8;

/** Default oversampling for rank k: max(10, ceil(k / 2)) extra sample columns. */
export function defaultOversampling(k: number): number {
  return Math.max(10, Math.ceil(k / 2));
}

/** Options of {@link randomizedSvd} and {@link randomizedSvdPlan}. */
export interface RandomizedSvdOptions {
  /** Extra sample columns beyond k, a non-negative integer; default {@link defaultOversampling}(k). l is capped at min(m, n). */
  readonly oversampling?: number;
  /** Power iterations q, a non-negative integer; default {@link DEFAULT_POWER_ITERATIONS}. Each costs two products with A. */
  readonly powerIterations?: number;
  /** Seed of the Gaussian test matrix (low 32 bits count); default {@link DEFAULT_RANDOMIZED_SVD_SEED}. */
  readonly seed?: number;
}

/** Every size a randomized SVD of an m x n matrix at rank k goes through. */
export interface RandomizedSvdPlan {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Sample size l = min(k + oversampling, min(m, n)). */
  readonly l: number;
  readonly oversampling: number;
  readonly powerIterations: number;
  /** Shapes [rows, cols] of the intermediates: Omega, Y and Q, Z, B = Q^T A. */
  readonly shapes: {
    readonly omega: readonly [number, number];
    readonly y: readonly [number, number];
    readonly z: readonly [number, number];
    readonly b: readonly [number, number];
  };
  /** Products with A or A^T: A Omega, then 2 per power iteration, then Q^T A. */
  readonly productsWithA: number;
  /** Orthonormalizations (Householder QR of an m x l or n x l block): one after every product except the last. */
  readonly orthonormalizations: number;
  /** Multiply-adds in the products with A: productsWithA m n l. */
  readonly productMultiplyAdds: number;
}

/** A top-k SVD: the {@link Svd} fields with r = k (not min(m, n)), the plan it followed and its residuals. */
export interface RandomizedSvd extends Svd {
  readonly plan: RandomizedSvdPlan;
  /**
   * Length k: r_i = ||A v_i - s_i u_i||_2, in A's units (A^T u_i = s_i v_i
   * holds exactly for these Ritz triplets, so this is the whole residual).
   * A singular value of A lies within r_i of s_i, and s_i never exceeds the
   * exact i-th one (the sample only loses energy); see {@link singularValueBound}.
   */
  readonly residuals: Float64Array;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}.`);
  }
  return value;
}

/**
 * The sizes and counts of a randomized SVD of an m x n matrix at rank k,
 * without touching any data: for a GPU dispatcher to allocate buffers and
 * for benchmark tables. Pure. Throws RangeError for a bad shape, a rank
 * outside 1..min(m, n) ({@link RankOutOfRangeError} above it) or bad options.
 */
export function randomizedSvdPlan(m: number, n: number, k: number, options: RandomizedSvdOptions = {}): RandomizedSvdPlan {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || n < 1) {
    throw new RangeError(`A randomized SVD needs a non-empty matrix, got shape [${m}, ${n}].`);
  }
  asRank(k);
  if (k > Math.min(m, n)) throw new RankOutOfRangeError(k, Math.min(m, n), `a ${m}x${n} matrix`);
  const oversampling = nonNegativeInteger('oversampling', options.oversampling ?? defaultOversampling(k));
  const powerIterations = nonNegativeInteger('powerIterations', options.powerIterations ?? DEFAULT_POWER_ITERATIONS);
  if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) {
    throw new RangeError(`seed must be an integer, got ${options.seed}.`);
  }
  const l = Math.min(k + oversampling, m, n);
  const productsWithA = 2 + 2 * powerIterations;
  return {
    m,
    n,
    k,
    l,
    oversampling,
    powerIterations,
    shapes: { omega: [n, l], y: [m, l], z: [n, l], b: [l, n] },
    productsWithA,
    orthonormalizations: 1 + 2 * powerIterations,
    productMultiplyAdds: productsWithA * m * n * l,
  };
}

/**
 * rows x cols row-major matrix of independent standard normal samples, from
 * mulberry32(seed) by Box-Muller: each pair of uniforms (u1, u2) gives the
 * two consecutive entries r cos(2 pi u2), r sin(2 pi u2), r = sqrt(-2 ln(1 - u1)).
 * Pure and deterministic; a GPU twin uploads this same matrix.
 */
export function gaussianTestMatrix(rows: number, cols: number, seed: number): Float64Array {
  const uniform = mulberry32(seed);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < out.length; i += 2) {
    // 1 - u1 lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < out.length) out[i + 1] = radius * Math.sin(angle);
  }
  return out;
}

/**
 * Top-k SVD A ~= U diag(s) V^T of the row-major m x n matrix `data` (float32
 * is widened to float64): U m x k, V n x k row-major with orthonormal
 * columns, s descending, signs as in svdJacobi (largest-magnitude entry of
 * each U column positive), and the residual of each triplet. Pure and
 * deterministic for a given seed. With l = min(m, n) (k + oversampling
 * reaching the smaller side) the result is the exact top k up to rounding;
 * otherwise s_i <= sigma_i, and the defaults bring s_1..s_k within
 * {@link TOP_K_SINGULAR_VALUE_TOLERANCE} on the lab's kernels (the bundled
 * 784x512 fc1 at k = 32: s_32 was 9% low with 2 power iterations and k + 10
 * samples, 0.1% with the defaults). Throws RangeError (as in
 * {@link randomizedSvdPlan}) and {@link NonFiniteMatrixError} on NaN/Infinity.
 * Cost: plan.productMultiplyAdds + m n k for the residuals, about 4 m l^2
 * flops per orthonormalization and a Jacobi SVD of the l x n matrix B.
 */
export function randomizedSvd(
  data: Float32Array | Float64Array,
  shape: readonly [number, number],
  k: number,
  options: RandomizedSvdOptions = {},
): RandomizedSvd {
  const [m, n] = shape;
  const plan = randomizedSvdPlan(m, n, k, options);
  if (data.length !== m * n) throw new RangeError(`Shape [${m}, ${n}] needs ${m * n} entries, got ${data.length}.`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new NonFiniteMatrixError(Math.floor(i / n), i % n, data[i]);
  }
  const { l } = plan;
  const omega = gaussianTestMatrix(n, l, options.seed ?? DEFAULT_RANDOMIZED_SVD_SEED);
  let q = orthonormalBasis(matmul(data, [m, n], omega, [n, l]), m, l);
  for (let iteration = 0; iteration < plan.powerIterations; iteration++) {
    const z = orthonormalBasis(matmulTransposeA(data, [m, n], q, [m, l]), n, l);
    q = orthonormalBasis(matmul(data, [m, n], z, [n, l]), m, l);
  }
  const b = matmulTransposeA(q, [m, l], data, [m, n]);
  const small = svdJacobi(b, [l, n]);
  const { u, s, v } = liftSmallSvd(q, m, small, k);
  const residuals = tripletResiduals(matmul(data, [m, n], v, [n, k]), u, s, m, k);
  return { u, s, v, m, n, r: k, sweeps: small.sweeps, converged: small.converged, plan, residuals };
}

/**
 * The top-k triplets of A from the SVD `small` of B = Q^T A (l x n, l <= n,
 * so small.r = l) and the m x l basis Q: U = Q U_B[:, :k] in float64,
 * V = V_B[:, :k], s = s_B[:k], signs fixed as svdJacobi fixes them. Shared
 * by this function and its GPU twin (gpu/randomizedSvd.ts).
 */
export function liftSmallSvd(q: Float64Array, m: number, small: Svd, k: number): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const l = small.m;
  const n = small.n;
  const u = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < l; c++) {
      const qic = q[i * l + c];
      if (qic === 0) continue;
      for (let j = 0; j < k; j++) u[i * k + j] += qic * small.u[c * small.r + j];
    }
  }
  const v = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) v[i * k + j] = small.v[i * small.r + j];
  const s = small.s.slice(0, k);
  fixSigns(u, m, v, n, k);
  return { u, s, v };
}

/**
 * r_i = ||(A V)_i - s_i u_i||_2 for each of the k columns, from the row-major
 * m x k product `av` = A V (float32 from a GPU or float64), U (m x k) and s.
 * Pure, float64; shared by both twins so that they report the same thing.
 */
export function tripletResiduals(av: ArrayLike<number>, u: Float64Array, s: Float64Array, m: number, k: number): Float64Array {
  const out = new Float64Array(k);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < k; j++) {
      const d = av[i * k + j] - s[j] * u[i * k + j];
      out[j] += d * d;
    }
  }
  return out.map(Math.sqrt);
}

/**
 * The relative a-posteriori bound of a top-k result: max_i r_i / s_i over
 * the singular values above 1e-6 s_1 (below that, float32 rounding alone
 * is of their size, and they matter neither to the spectrum nor to a
 * rank choice). Each such s_i lies within this fraction of itself of a
 * singular value of A (the residual bound of symmetric eigenproblems,
 * applied to [0 A; A^T 0], whose residual for ([u_i; v_i]/sqrt 2, s_i) is
 * r_i / sqrt 2 <= r_i). It bounds
 * the error linearly; the actual error of a Ritz value is about r_i^2 / gap,
 * so the true error is typically 10 to 30 times smaller. Pure; 0 for an
 * all-zero spectrum.
 */
export function singularValueBound(s: ArrayLike<number>, residuals: ArrayLike<number>): number {
  const floor = 1e-6 * (s[0] ?? 0);
  let worst = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > floor && s[i] > 0) worst = Math.max(worst, residuals[i] / s[i]);
  return worst;
}
