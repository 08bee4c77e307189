/**
 * Top-k SVD by randomized range finding with power iterations, float64: the
 * CPU twin of the lab's GPU top-k SVD, and the expected answer in its tests.
 *
 * Method (Halko, Martinsson and Tropp 2011, Algorithms 4.4 and 5.1): draw a
 * Gaussian test matrix Omega (n x l, l = k + oversampling), sample the range
 * Y = A Omega, orthonormalize; q power iterations Z = A^T Q, Y = A Z sharpen
 * the sample towards the top singular directions, with a CholeskyQR2 after
 * every product, because without it the columns of (A A^T)^q A Omega all
 * collapse onto the top singular vector in floating point. Then the small
 * B = Q^T A (l x n) gets an exact Jacobi SVD, U = Q U_B, and the top k are
 * kept. Each step is a separate function call on plain arrays, in the order
 * a GPU dispatcher follows; {@link randomizedSvdPlan} gives every size.
 */
import { choleskyQr2 } from './choleskyQr';
import { matmul, matmulTransposeA } from './matmul';
import { mulberry32 } from './sampling';
import { svdJacobi, type Svd } from './svd';
import { fixSigns, NonFiniteMatrixError } from './svdFinish';
import { asRank, RankOutOfRangeError } from './units';

/** Seed of the test matrix when none is given, so that runs repeat exactly. */
export const DEFAULT_RANDOMIZED_SVD_SEED = 0x5eed;

/** Options of {@link randomizedSvd} and {@link randomizedSvdPlan}. */
export interface RandomizedSvdOptions {
  /** Extra sample columns beyond k, a non-negative integer; default 10. l is capped at min(m, n). */
  readonly oversampling?: number;
  /** Power iterations q, a non-negative integer; default 2. Each costs two products with A. */
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
  /** CholeskyQR2 calls: one after every product except the last. */
  readonly orthonormalizations: number;
  /** Multiply-adds in the products with A: productsWithA m n l. */
  readonly productMultiplyAdds: number;
}

/** A top-k SVD: the {@link Svd} fields with r = k (not min(m, n)), and the plan it followed. */
export interface RandomizedSvd extends Svd {
  readonly plan: RandomizedSvdPlan;
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
  const oversampling = nonNegativeInteger('oversampling', options.oversampling ?? 10);
  const powerIterations = nonNegativeInteger('powerIterations', options.powerIterations ?? 2);
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
 * each U column positive). Pure and deterministic for a given seed. With
 * l = min(m, n) (k + oversampling reaching the smaller side) the result is
 * the exact top k up to rounding; otherwise the error ||A - U S V^T|| is
 * close to the optimal tail when the spectrum decays, and power iterations
 * bring it closer when it decays slowly. The singular values near the cut
 * converge more slowly than the error: on the bundled 784x512 fc1 kernel at
 * k = 32 with the defaults, ||A - U S V^T||_F is 0.8% above optimal while
 * the smallest kept singular values come out up to 9% low (4% with 4 power
 * iterations). Throws RangeError (as in {@link randomizedSvdPlan}) and
 * {@link NonFiniteMatrixError} on NaN/Infinity.
 * Cost: plan.productMultiplyAdds, plus about 2 m l^2 flops per CholeskyQR step
 * and a Jacobi SVD of the l x n matrix B.
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
  let q = choleskyQr2(matmul(data, [m, n], omega, [n, l]), [m, l]).q;
  for (let iteration = 0; iteration < plan.powerIterations; iteration++) {
    const z = choleskyQr2(matmulTransposeA(data, [m, n], q, [m, l]), [n, l]).q;
    q = choleskyQr2(matmul(data, [m, n], z, [n, l]), [m, l]).q;
  }
  const b = matmulTransposeA(q, [m, l], data, [m, n]);
  const small = svdJacobi(b, [l, n]);

  // U = Q U_B[:, :k] and V = V_B[:, :k]; small.r = l here, since l <= n.
  const u = new Float64Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < l; c++) {
      const qic = q[i * l + c];
      if (qic === 0) continue;
      for (let j = 0; j < k; j++) u[i * k + j] += qic * small.u[c * l + j];
    }
  }
  const v = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) v[i * k + j] = small.v[i * l + j];
  const s = small.s.slice(0, k);
  fixSigns(u, m, v, n, k);
  return { u, s, v, m, n, r: k, sweeps: small.sweeps, converged: small.converged, plan };
}
