import { describe, expect, it } from 'vitest';
import { CalibrationShapeError, dataAwareFactors } from '../../src/core/dataAware';
import { truncatedFactors } from '../../src/core/factors';
import { NonFiniteMatrixError, svdJacobi } from '../../src/core/svd';
import { asRank, RankOutOfRangeError, type Rank } from '../../src/core/units';
import { frobeniusDistance, gaussianMatrix, gramSingularValues, randomOrthogonal } from './reference';
import { addRow, centerColumns, columnMeans, multiply, tailNorm } from './subspaceReference';

// A 12-input, 9-output Dense kernel and 40 calibration inputs whose features
// shrink geometrically (feature j has scale 4 * 0.6^j) around a common
// offset, so H = X^T X is far from a multiple of I and the mean is not 0.
const M = 12;
const N = 9;
const ROWS = 40;
const K = asRank(3);
const W = gaussianMatrix(M, N, 1);
const X = (() => {
  const x = gaussianMatrix(ROWS, M, 2);
  for (let i = 0; i < ROWS; i++) for (let j = 0; j < M; j++) x[i * M + j] = 4 * 0.6 ** j * x[i * M + j] + 0.7;
  return x;
})();
const BIAS = Float64Array.from({ length: N }, (_, j) => 0.1 * (j - 4));
const Y = multiply(X, W, ROWS, M, N);
const Y_NORM = frobeniusDistance(Y);
// float32 factors: each entry carries a relative rounding of about 6e-8.
const FLOAT32_TOL = 1e-6;

/** ||X W - X A B||_F in float64. */
function outputError(a: ArrayLike<number>, b: ArrayLike<number>, k: number): number {
  return frobeniusDistance(Y, multiply(X, multiply(a, b, M, k, N), ROWS, M, N));
}

/** The plain truncated SVD of W at rank k, as the lab computes it. */
function svdFactors(k: Rank) {
  return truncatedFactors(svdJacobi(W, [M, N]), k);
}

describe('dataAwareFactors: the optimum of ||X W - X W\'||_F', () => {
  const spectrumOfY = gramSingularValues(Y, ROWS, N);

  it.each([1, 2, 3, 5, 9])('at rank %i misses X W by the tail of sigma(X W) exactly', (k) => {
    const f = dataAwareFactors(W, [M, N], null, X, asRank(k));
    const optimum = tailNorm(spectrumOfY, k);
    expect(Math.abs(outputError(f.a, f.b, k) - optimum)).toBeLessThan(FLOAT32_TOL * Y_NORM);
    expect(Math.abs(f.outputResidual - optimum)).toBeLessThan(1e-10 * Y_NORM);
  });

  it('is no worse than the truncated SVD of W, and much better on anisotropic inputs', () => {
    const dataAware = dataAwareFactors(W, [M, N], null, X, K);
    const plain = svdFactors(K);
    const dataAwareError = outputError(dataAware.a, dataAware.b, K);
    const plainError = outputError(plain.a, plain.b, K);
    expect(dataAwareError).toBeLessThanOrEqual(plainError);
    expect(dataAwareError).toBeLessThan(0.5 * plainError);
  });

  it('is no worse than random rank-k kernels or perturbations of itself', () => {
    const f = dataAwareFactors(W, [M, N], null, X, K);
    const best = outputError(f.a, f.b, K);
    for (let seed = 10; seed < 20; seed++) {
      const a = gaussianMatrix(M, K, seed);
      const b = gaussianMatrix(K, N, seed + 100);
      expect(best).toBeLessThanOrEqual(outputError(a, b, K));
      // A nudge of B keeps rank k and must cost more than the float32 rounding of the optimum.
      const nudged = Float64Array.from(f.b, (v, i) => v + 0.05 * b[i]);
      expect(best).toBeLessThanOrEqual(outputError(f.a, nudged, K) + FLOAT32_TOL * Y_NORM);
    }
  });

  it('equals the truncated SVD of W when the inputs are white (X^T X = I)', () => {
    const white = randomOrthogonal(M, 3); // M x M, orthonormal columns
    const f = dataAwareFactors(W, [M, N], null, white, K);
    const plain = svdFactors(K);
    const norm = frobeniusDistance(W);
    expect(frobeniusDistance(multiply(f.a, f.b, M, K, N), multiply(plain.a, plain.b, M, K, N))).toBeLessThan(
      FLOAT32_TOL * norm,
    );
  });

  it('splits the scale evenly: A has orthogonal columns whose norms equal the row norms of B', () => {
    const f = dataAwareFactors(W, [M, N], null, X, K);
    for (let c = 0; c < K; c++) {
      let colSq = 0;
      let rowSq = 0;
      for (let i = 0; i < M; i++) colSq += f.a[i * K + c] ** 2;
      for (let j = 0; j < N; j++) rowSq += f.b[c * N + j] ** 2;
      expect(Math.abs(Math.sqrt(colSq) - Math.sqrt(rowSq))).toBeLessThan(FLOAT32_TOL * Math.sqrt(colSq));
      for (let d = c + 1; d < K; d++) {
        let dot = 0;
        for (let i = 0; i < M; i++) dot += f.a[i * K + c] * f.a[i * K + d];
        expect(Math.abs(dot)).toBeLessThan(FLOAT32_TOL * colSq);
      }
    }
  });
});

describe('dataAwareFactors: bias correction', () => {
  /** The affine layer's outputs X A B + 1 b'. */
  function affineOutputs(f: { a: Float32Array; b: Float32Array; bias?: Float32Array }): Float64Array {
    return addRow(multiply(X, multiply(f.a, f.b, M, K, N), ROWS, M, N), f.bias ?? new Float64Array(N), ROWS, N);
  }
  const original = addRow(Y, BIAS, ROWS, N);

  it('keeps the mean output over the calibration rows', () => {
    const f = dataAwareFactors(W, [M, N], BIAS, X, K);
    const before = columnMeans(original, ROWS, N);
    const after = columnMeans(affineOutputs(f), ROWS, N);
    for (let j = 0; j < N; j++) expect(Math.abs(after[j] - before[j])).toBeLessThan(FLOAT32_TOL * Y_NORM);
  });

  it('leaves the bias alone when the calibration inputs have zero mean', () => {
    const centered = centerColumns(X, ROWS, M);
    const f = dataAwareFactors(W, [M, N], BIAS, centered, K);
    for (let j = 0; j < N; j++) expect(f.bias![j]).toBeCloseTo(BIAS[j], 6);
  });

  it('never makes the affine error worse than the kernel error it started from', () => {
    const f = dataAwareFactors(W, [M, N], BIAS, X, K);
    const affineError = frobeniusDistance(original, affineOutputs(f));
    expect(affineError).toBeLessThanOrEqual(outputError(f.a, f.b, K) + FLOAT32_TOL * Y_NORM);
  });

  it('with a bias, centers by default: reaches the tail of the centered outputs, below the uncentered choice', () => {
    const centeredSpectrum = gramSingularValues(centerColumns(Y, ROWS, N), ROWS, N);
    const centered = dataAwareFactors(W, [M, N], BIAS, X, K);
    const plain = dataAwareFactors(W, [M, N], BIAS, X, K, { centered: false });
    const centeredError = frobeniusDistance(original, affineOutputs(centered));
    expect(Math.abs(centeredError - tailNorm(centeredSpectrum, K))).toBeLessThan(FLOAT32_TOL * Y_NORM);
    expect(Math.abs(centered.outputResidual - tailNorm(centeredSpectrum, K))).toBeLessThan(1e-10 * Y_NORM);
    expect(centeredError).toBeLessThanOrEqual(frobeniusDistance(original, affineOutputs(plain)));
  });

  it('returns no bias when none was given', () => {
    expect(dataAwareFactors(W, [M, N], null, X, K).bias).toBeUndefined();
  });
});

describe('dataAwareFactors: refuses what it cannot do', () => {
  it('throws RankOutOfRangeError above min(m, n)', () => {
    expect(() => dataAwareFactors(W, [M, N], null, X, asRank(N + 1))).toThrow(RankOutOfRangeError);
  });

  it('throws CalibrationShapeError for fewer than k rows or a ragged batch', () => {
    expect(() => dataAwareFactors(W, [M, N], null, X.subarray(0, 2 * M), K)).toThrow(CalibrationShapeError);
    expect(() => dataAwareFactors(W, [M, N], null, X.subarray(0, 5 * M + 1), K)).toThrow(CalibrationShapeError);
  });

  it('throws RangeError on a bias of the wrong length and NonFiniteMatrixError on NaN inputs', () => {
    expect(() => dataAwareFactors(W, [M, N], new Float64Array(N - 1), X, K)).toThrow(RangeError);
    const bad = Float64Array.from(X);
    bad[7] = Number.NaN;
    expect(() => dataAwareFactors(W, [M, N], null, bad, K)).toThrow(NonFiniteMatrixError);
  });
});
