import { describe, expect, it } from 'vitest';
import { matmul, matmulTransposeA } from '../../src/core/matmul';
import { gaussianMatrix, transpose } from './reference';

/** Textbook triple loop, C = A B, as the independent reference. */
function naiveProduct(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, l: number): Float64Array {
  const c = new Float64Array(m * l);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < l; j++) {
      let x = 0;
      for (let p = 0; p < n; p++) x += a[i * n + p] * b[p * l + j];
      c[i * l + j] = x;
    }
  }
  return c;
}

function maxAbsDifference(x: Float64Array, y: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst;
}

// Sizes that are and are not multiples of the 4-way unrolling.
describe.each([
  [1, 1, 1],
  [3, 5, 2],
  [8, 12, 7],
  [13, 6, 9],
  [37, 41, 11],
])('products of shape %i x %i by %i', (m, n, l) => {
  it('matmul equals the triple loop', () => {
    const a = gaussianMatrix(m, n, 1);
    const b = gaussianMatrix(n, l, 2);
    expect(maxAbsDifference(matmul(a, [m, n], b, [n, l]), naiveProduct(a, b, m, n, l))).toBeLessThan(1e-13);
  });

  it('matmulTransposeA equals the triple loop on A^T, for float32 A too', () => {
    const a = Float32Array.from(gaussianMatrix(m, n, 3));
    const b = gaussianMatrix(m, l, 4);
    const expected = naiveProduct(transpose(Float64Array.from(a), m, n), b, n, m, l);
    expect(maxAbsDifference(matmulTransposeA(a, [m, n], b, [m, l]), expected)).toBeLessThan(1e-13);
  });
});

describe('matmul input checks', () => {
  it('rejects shapes that disagree with the data or with each other', () => {
    const a = new Float64Array(6);
    expect(() => matmul(a, [2, 3], new Float64Array(8), [4, 2])).toThrow(RangeError);
    expect(() => matmul(a, [2, 4], new Float64Array(8), [4, 2])).toThrow(RangeError);
    expect(() => matmulTransposeA(a, [2, 3], new Float64Array(6), [3, 2])).toThrow(RangeError);
    expect(() => matmulTransposeA(a, [0, 3], new Float64Array(0), [0, 2])).toThrow(RangeError);
  });
});
