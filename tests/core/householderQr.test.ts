import { describe, expect, it } from 'vitest';
import { applyQ, householderQrPivotedInPlace, orthonormalBasis } from '../../src/core/householderQr';
import { NonFiniteMatrixError } from '../../src/core/svdFinish';
import { thinOrthonormal } from '../../src/cli/thinSpectrum';
import { gaussianMatrix, gradedMatrix, matrixWithSpectrum, orthonormalityDefect } from './reference';

/** Column-major copy of a row-major rows x cols matrix. */
function toColumnMajor(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

describe.each([
  ['random 30x12', 30, 12, gaussianMatrix(30, 12, 41)],
  ['square 9x9', 9, 9, gaussianMatrix(9, 9, 42)],
  ['rank 2 of 15x6', 15, 6, matrixWithSpectrum(15, 6, [3, 1], 43)],
  ['zero 5x3', 5, 3, new Float64Array(15)],
])('pivoted Householder QR of %s', (_name, p, q, rowMajor) => {
  const original = toColumnMajor(rowMajor, p, q);
  const qr = householderQrPivotedInPlace(Float64Array.from(original), p, q);
  // Thin Q = Q [I; 0], column-major p x q.
  const thinQ = new Float64Array(p * q);
  for (let c = 0; c < q; c++) thinQ[c * p + c] = 1;
  applyQ(qr, thinQ, q);
  const scale = Math.max(1, ...original.map(Math.abs));

  it('reproduces T P = Q R', () => {
    for (let c = 0; c < q; c++) {
      for (let i = 0; i < p; i++) {
        let x = 0;
        for (let k = 0; k <= c; k++) x += thinQ[k * p + i] * qr.factored[c * p + k];
        expect(Math.abs(x - original[qr.perm[c] * p + i])).toBeLessThan(1e-13 * scale);
      }
    }
  });

  it('has orthonormal Q columns and a permutation', () => {
    for (let c = 0; c < q; c++) {
      for (let d = 0; d < q; d++) {
        let x = 0;
        for (let i = 0; i < p; i++) x += thinQ[c * p + i] * thinQ[d * p + i];
        expect(Math.abs(x - (c === d ? 1 : 0))).toBeLessThan(1e-14);
      }
    }
    expect(Array.from(qr.perm).sort((a, b) => a - b)).toEqual(Array.from({ length: q }, (_, k) => k));
  });

  it('puts non-increasing magnitudes on the diagonal of R (pivoting)', () => {
    for (let j = 1; j < q; j++) {
      const previous = Math.abs(qr.factored[(j - 1) * p + j - 1]);
      expect(Math.abs(qr.factored[j * p + j])).toBeLessThanOrEqual(previous * (1 + 1e-12) + 1e-300);
    }
  });
});

it('rejects a wide matrix', () => {
  expect(() => householderQrPivotedInPlace(new Float64Array(6), 2, 3)).toThrow(RangeError);
});

/** ||Y - Q Q^T Y||_F / ||Y||_F for row-major Y and Q (m x l): how much of Y lies outside span(Q). */
function outsideSpan(y: ArrayLike<number>, q: Float64Array, m: number, l: number): number {
  const proj = new Float64Array(l * l); // Q^T Y
  for (let i = 0; i < m; i++) for (let a = 0; a < l; a++) for (let b = 0; b < l; b++) proj[a * l + b] += q[i * l + a] * y[i * l + b];
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < m; i++) {
    for (let b = 0; b < l; b++) {
      let x = 0;
      for (let a = 0; a < l; a++) x += q[i * l + a] * proj[a * l + b];
      diff += (y[i * l + b] - x) ** 2;
      norm += y[i * l + b] ** 2;
    }
  }
  return Math.sqrt(diff / norm);
}

describe("orthonormalBasis (the top-k SVD's orthonormalization)", () => {
  it.each([
    // float32 input at the sizes where float32 CholeskyQR's shift swamped the Gram matrix (11 m l^2 2^-24 >~ 1)
    ['graded 2000x42, cond 1e12, float32', 2000, 42, Float32Array.from(gradedMatrix(2000, 42, 1e12, 51)), 1],
    ['orthonormal 1025x266, float32 (must not shrink)', 1025, 266, Float32Array.from(thinOrthonormal(1025, 266, 52)), 1],
    ['Gaussian 300x48 with entries near 1e200', 300, 48, gaussianMatrix(300, 48, 53).map((x) => x * 1e200), 1e200],
  ])('%s: Q^T Q = I to 1e-14 and span(Q) holds Y', (_name, m, l, y, size) => {
    const q = orthonormalBasis(y, m, l);
    const defect = orthonormalityDefect(q, m, l);
    // Y / size so that the check's own sums of squares stay in range.
    const outside = outsideSpan(y.map((x) => x / size), q, m, l);
    // Measured: defect <= 4.8e-15, outside span <= 1.7e-15.
    expect(defect).toBeLessThanOrEqual(3e-14);
    expect(outside).toBeLessThanOrEqual(1e-14);
  });

  it('stays orthonormal for rank-deficient Y: zero and repeated columns', () => {
    const [m, l] = [200, 12];
    const y = gaussianMatrix(m, l, 54);
    for (let i = 0; i < m; i++) {
      y[i * l + 3] = 0;
      y[i * l + 7] = y[i * l + 1];
      y[i * l + 11] = 2 * y[i * l + 5] - y[i * l + 1];
    }
    const q = orthonormalBasis(y, m, l);
    expect(orthonormalityDefect(q, m, l)).toBeLessThanOrEqual(1e-14);
    expect(outsideSpan(y, q, m, l)).toBeLessThanOrEqual(1e-15);
  });

  it('rejects a wide matrix and NaN', () => {
    expect(() => orthonormalBasis(new Float64Array(6), 2, 3)).toThrow(RangeError);
    const y = gaussianMatrix(10, 3, 55);
    y[3 * 3 + 2] = Number.NaN;
    expect(() => orthonormalBasis(y, 10, 3)).toThrow(NonFiniteMatrixError);
  });
});
