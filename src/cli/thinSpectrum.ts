/**
 * Test matrices with a prescribed spectrum at sizes where reference.ts's
 * matrixWithSpectrum (which builds full m x m and n x n orthogonal factors,
 * O(m^3)) would be too slow, e.g. 4096 x 64. Only thin orthonormal factors
 * are built here, by Gram-Schmidt run twice on Gaussian columns. Like the
 * tests' reference.ts, this imports nothing from src/core (benchmarks and
 * tests build their matrices with it).
 */
import { gaussianMatrix } from './randomMatrices';

/**
 * rows x cols row-major matrix (rows >= cols) with orthonormal columns:
 * modified Gram-Schmidt applied twice ("twice is enough", Kahan/Parlett)
 * to a seeded Gaussian matrix, orthonormal to rounding level.
 */
export function thinOrthonormal(rows: number, cols: number, seed: number): Float64Array {
  const x = gaussianMatrix(rows, cols, seed);
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < cols; c++) {
      for (let d = 0; d < c; d++) {
        let dot = 0;
        for (let i = 0; i < rows; i++) dot += x[i * cols + d] * x[i * cols + c];
        for (let i = 0; i < rows; i++) x[i * cols + c] -= dot * x[i * cols + d];
      }
      let normSq = 0;
      for (let i = 0; i < rows; i++) normSq += x[i * cols + c] ** 2;
      const inv = 1 / Math.sqrt(normSq);
      for (let i = 0; i < rows; i++) x[i * cols + c] *= inv;
    }
  }
  return x;
}

/**
 * m x n row-major U diag(s) V^T with thin random orthonormal U (m x r) and
 * V (n x r), r = s.length <= min(m, n): singular values exactly s (and
 * zeros) up to the rounding of this product. Cost about 2 (m + n) r^2 + m n r.
 */
export function thinMatrixWithSpectrum(m: number, n: number, s: readonly number[], seed: number): Float64Array {
  const r = s.length;
  const u = thinOrthonormal(m, r, seed);
  const v = thinOrthonormal(n, r, seed + 104729);
  const out = new Float64Array(m * n);
  const scaledRow = new Float64Array(r);
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < r; c++) scaledRow[c] = u[i * r + c] * s[c];
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let c = 0; c < r; c++) x += scaledRow[c] * v[j * r + c];
      out[i * n + j] = x;
    }
  }
  return out;
}

/** Spectrum of length r decaying geometrically from 1 to 1 / cond. */
export function geometricSpectrum(r: number, cond: number): number[] {
  return Array.from({ length: r }, (_, i) => cond ** (-i / Math.max(1, r - 1)));
}

/** sqrt(sum_{i >= k} s_i^2): the Frobenius error of the best rank-k approximation (Eckart-Young). */
export function optimalTail(s: readonly number[], k: number): number {
  let sum = 0;
  for (let i = k; i < s.length; i++) sum += s[i] * s[i];
  return Math.sqrt(sum);
}
