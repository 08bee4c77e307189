/**
 * Data-aware (activation-aware) low-rank factorization of a Dense kernel:
 * the rank-k W' that is closest to W on the layer's actual inputs, not in
 * the plain Frobenius norm of the weights.
 *
 * Row convention of the lab: W is m x n (m inputs, n outputs), a batch of
 * calibration inputs X is N x m, the outputs are Y = X W (N x n). We want
 *   min over rank(W') <= k of ||X W - X W'||_F.
 * X W' has rank <= k, so Eckart-Young bounds the error below by
 * sqrt(sum_{i>k} sigma_i(Y)^2); W' = W V_k V_k^T, with V_k the top-k right
 * singular vectors of Y, reaches it (X W' = Y V_k V_k^T = Y_k). The same V_k
 * are the top-k eigenvectors of W^T H W, H = X^T X; they are computed as
 * right singular vectors of the factor Y itself, never of W^T H W (which
 * would square the spectrum, see subspaceFactors.ts), and no inverse of H
 * is needed because the projection acts on the output side.
 *
 * Unlike a truncated SVD of W, the result depends on the calibration set:
 * directions of the output space the data never excites are dropped first.
 */
import type { TruncatedFactors } from './factors';
import { matmul } from './matmul';
import { projectionFactors, spectrumTail, topRightSubspace, type RightSubspace } from './subspaceFactors';
import { asRank, RankOutOfRangeError, type Rank } from './units';

type Matrix = Float32Array | Float64Array;

/** Options of {@link dataAwareFactors}. */
export interface DataAwareOptions {
  /**
   * Choose V_k from the centered outputs Y - 1 mean(Y) instead of Y; default
   * true when a bias is given, false without one. With a bias to correct,
   * centering is the right choice: it minimises the error of the whole
   * affine layer, ||(X W + 1 b) - (X W' + 1 b')||_F, over rank-k W' and any
   * b' (Eckart-Young on the centered Y), because the bias absorbs the mean
   * and the rank budget goes to the variation around it; the uncentered
   * choice spends rank on the mean and then corrects the bias, which at
   * rank 4 in every layer cost 4.0 (mlp-64) and 6.3 (mlp-512) test points.
   * Without a bias there is nothing to absorb the mean, and the plain
   * objective ||X W - X W'||_F is the one.
   */
  readonly centered?: boolean;
}

/** Rank-k factors chosen on calibration data, plus what they cost there. */
export interface DataAwareFactors extends TruncatedFactors {
  /**
   * n, float32: the corrected bias b' = b P + mu (I - P), mu = mean over the
   * calibration rows of X W + b, so the mean output on the calibration set
   * is unchanged. Present only when a bias was given.
   */
  readonly bias?: Float32Array;
  /**
   * Float64 error the choice of V_k minimised, in output units:
   * sqrt(sum_{i>k} sigma_i^2) of Y (= ||X W - X W'||_F), or of the centered
   * Y when `centered` (= the affine layer's error with the corrected bias).
   */
  readonly outputResidual: number;
  /** Singular values of Y (or of the centered Y), descending: min(N, n) of them. */
  readonly outputSpectrum: Float64Array;
}

/**
 * Thrown when the calibration batch cannot determine a rank-k subspace:
 * fewer than k rows, or a length that is not a whole number of rows.
 */
export class CalibrationShapeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'CalibrationShapeError';
  }
}

/**
 * Rank-k factors A (m x k), B (k x n) with A B = W V_k V_k^T, the minimiser
 * of ||X W - X A B||_F (with a bias: of the affine layer's error, see
 * DataAwareOptions.centered), for the row-major m x n kernel `w` and the row-major
 * N x m calibration inputs `x` of this layer (N = x.length / m). The bias
 * (length n, or null) is corrected so that the mean output over X stays the
 * same; the returned factors follow the lab's even sqrt(S) split (see
 * projectionFactors). Pure; float64 inside, float32 out. Cost: the product
 * X W (N m n) and a Jacobi SVD of the N x n matrix Y.
 * Throws RankOutOfRangeError when k > min(m, n), CalibrationShapeError when
 * x is not N x m with N >= k, RangeError on a bias of the wrong length, and
 * NonFiniteMatrixError when W or X holds NaN or Infinity.
 */
export function dataAwareFactors(
  w: Matrix,
  shape: readonly [number, number],
  bias: Matrix | null,
  x: Matrix,
  k: Rank,
  options: DataAwareOptions = {},
): DataAwareFactors {
  const [m, n] = shape;
  if (w.length !== m * n) throw new RangeError(`Kernel shape [${m}, ${n}] needs ${m * n} entries, got ${w.length}.`);
  asRank(k); // a cast number may reach here unbranded: 0, fractions and NaN are refused too
  if (k > Math.min(m, n)) throw new RankOutOfRangeError(k, Math.min(m, n), `a ${m}x${n} kernel`);
  if (bias !== null && bias.length !== n) throw new RangeError(`The bias must have ${n} entries, got ${bias.length}.`);
  const rows = x.length / m;
  if (!Number.isInteger(rows)) {
    throw new CalibrationShapeError(
      `Calibration inputs of length ${x.length} are not whole rows of ${m} features; pass an N x ${m} batch.`,
    );
  }
  if (rows < k) {
    throw new CalibrationShapeError(
      `Rank ${k} needs at least ${k} calibration rows, got ${rows}; use more calibration samples or a lower rank.`,
    );
  }

  const outputs = matmul(x, [rows, m], w, [m, n]);
  const meanInput = columnMeans(x, rows, m);
  if (options.centered ?? bias !== null) {
    const meanOutput = matmul(meanInput, [1, m], w, [m, n]);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) outputs[i * n + j] -= meanOutput[j];
    }
  }
  return dataAwareFromSubspace(w, shape, bias, meanInput, topRightSubspace(outputs, [rows, n], k), k);
}

/**
 * The data-aware factors once the top-k right singular vectors of the
 * outputs Y = X W are known (`subspace`, e.g. from an SVD of Y the lab ran
 * on the GPU or in a worker, or {@link topRightSubspace}): W' = W V_k V_k^T
 * as factors, and the corrected bias from the calibration inputs' column
 * means `meanInput` (length m; see {@link columnMeans}). Pure. Throws
 * RangeError when the basis does not hold k vectors of length n.
 */
export function dataAwareFromSubspace(
  w: Matrix,
  shape: readonly [number, number],
  bias: Matrix | null,
  meanInput: Float64Array,
  subspace: RightSubspace,
  k: Rank,
): DataAwareFactors {
  const { basis, spectrum } = subspace;
  const factors = projectionFactors(w, shape, basis, k);
  const result = { ...factors, outputResidual: spectrumTail(spectrum, k), outputSpectrum: spectrum };
  if (bias === null) return result;
  return { ...result, bias: correctedBias(w, shape, bias, meanInput, basis, k) };
}

/**
 * b' = b P + mu (I - P) with mu = x_mean W + b, rewritten as
 * b' = b + d (I - P), d = x_mean W: the mean output the projection removes
 * is handed back through the bias. Float64, rounded once to float32.
 */
function correctedBias(
  w: Matrix,
  shape: readonly [number, number],
  bias: Matrix,
  meanInput: Float64Array,
  basis: Float64Array,
  k: number,
): Float32Array {
  const [m, n] = shape;
  const dropped = matmul(meanInput, [1, m], w, [m, n]);
  const coords = matmul(dropped, [1, n], basis, [n, k]);
  const out = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    let kept = 0;
    for (let c = 0; c < k; c++) kept += coords[c] * basis[j * k + c];
    out[j] = bias[j] + (dropped[j] - kept);
  }
  return out;
}

/** Subtracts each column's mean (taken in float64) from a row-major rows x cols matrix, in place. */
export function centerColumns(y: Matrix, rows: number, cols: number): void {
  const mean = columnMeans(y, rows, cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) y[i * cols + j] -= mean[j];
  }
}

/** 1 x cols row of column means of a row-major rows x cols matrix, float64 (the calibration inputs' mean for the bias). */
export function columnMeans(x: Matrix, rows: number, cols: number): Float64Array {
  const sum = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) sum[j] += x[i * cols + j];
  }
  for (let j = 0; j < cols; j++) sum[j] /= rows;
  return sum;
}
