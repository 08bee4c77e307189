import { describe, expect, it } from 'vitest';
import { applyQ, householderQrPivotedInPlace } from '../../src/core/householderQr';
import { gaussianMatrix, matrixWithSpectrum } from './reference';

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
