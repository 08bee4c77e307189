/**
 * Float64 reference maths for the data-aware, robust and quantized low-rank
 * tests, written without src/core (as reference.ts is) so that a bug there
 * cannot hide itself: plain products, projectors and subspace distances.
 * All matrices are row-major with explicit dimensions.
 */

/** C = A B for A (rows x inner) and B (inner x cols), float64, triple loop. */
export function multiply(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rows: number,
  inner: number,
  cols: number,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let p = 0; p < inner; p++) {
      const aip = a[i * inner + p];
      for (let j = 0; j < cols; j++) out[i * cols + j] += aip * b[p * cols + j];
    }
  }
  return out;
}

/** P = V V^T (n x n) for V (n x k) with orthonormal columns. */
export function projector(v: ArrayLike<number>, n: number, k: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let c = 0; c < k; c++) x += v[i * k + c] * v[j * k + c];
      out[i * n + j] = x;
    }
  }
  return out;
}

/**
 * ||P_a - P_b||_F / sqrt(2) for two k-dimensional subspaces given by
 * orthonormal bases (n x k): the root of the sum of squared sines of their
 * principal angles, 0 when equal, sqrt(k) when orthogonal.
 */
export function subspaceDistance(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number): number {
  const pa = projector(a, n, k);
  const pb = projector(b, n, k);
  let sum = 0;
  for (let i = 0; i < n * n; i++) sum += (pa[i] - pb[i]) ** 2;
  return Math.sqrt(sum / 2);
}

/** Column means (length cols) of a row-major rows x cols matrix. */
export function columnMeans(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += x[i * cols + j] / rows;
  return out;
}

/** X with the column means subtracted from every row (a new array). */
export function centerColumns(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const mean = columnMeans(x, rows, cols);
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[i * cols + j] - mean[j];
  return out;
}

/** sqrt(sum_{i >= k} s_i^2) of a descending spectrum. */
export function tailNorm(s: ArrayLike<number>, k: number): number {
  let sum = 0;
  for (let i = k; i < s.length; i++) sum += s[i] * s[i];
  return Math.sqrt(sum);
}

/** Each row of the row-major rows x cols matrix plus `row` (length cols): X + 1 row. */
export function addRow(x: ArrayLike<number>, row: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * cols + j] = x[i * cols + j] + row[j];
  return out;
}
