/**
 * Dense matrix products, float64 accumulation, row-major throughout: the
 * products with the weight matrix A that dominate a randomized SVD
 * (A Omega, A Z, A^T Q, Q^T A). Two kernels cover all four, A B and A^T B,
 * each looping so that the innermost loop runs along a contiguous row.
 * Zero entries of A are not skipped: the loops stay branch-free, and the
 * result does not depend on where the zeros are.
 * They are the CPU twins of the GPU matmul dispatches.
 */

type Matrix = Float32Array | Float64Array;

function checkShape(name: string, data: Matrix, rows: number, cols: number): void {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 1 || cols < 1) {
    throw new RangeError(`${name} needs a non-empty shape, got [${rows}, ${cols}].`);
  }
  if (data.length !== rows * cols) {
    throw new RangeError(`${name} of shape [${rows}, ${cols}] needs ${rows * cols} entries, got ${data.length}.`);
  }
}

/**
 * C = A B for row-major A (m x n) and B (n x l): a new row-major m x l
 * Float64Array, accumulated in float64 whatever the input precision. Pure;
 * m n l multiply-adds. Throws RangeError when the shapes disagree with the
 * data or with each other.
 */
export function matmul(
  a: Matrix,
  aShape: readonly [number, number],
  b: Matrix,
  bShape: readonly [number, number],
): Float64Array {
  const [m, n] = aShape;
  const [nb, l] = bShape;
  checkShape('A', a, m, n);
  checkShape('B', b, nb, l);
  if (nb !== n) throw new RangeError(`A B needs B to have ${n} rows (A's columns), got ${nb}.`);
  const c = new Float64Array(m * l);
  for (let i = 0; i < m; i++) {
    const oc = i * l;
    const oa = i * n;
    // Four terms of the reduction per pass over the output row: a quarter
    // of the loads and stores of c, which is what bounds this loop in V8.
    let p = 0;
    for (; p + 3 < n; p += 4) {
      const a0 = a[oa + p];
      const a1 = a[oa + p + 1];
      const a2 = a[oa + p + 2];
      const a3 = a[oa + p + 3];
      const o0 = p * l;
      for (let j = 0; j < l; j++) {
        c[oc + j] += a0 * b[o0 + j] + a1 * b[o0 + l + j] + a2 * b[o0 + 2 * l + j] + a3 * b[o0 + 3 * l + j];
      }
    }
    for (; p < n; p++) {
      const aip = a[oa + p];
      const ob = p * l;
      for (let j = 0; j < l; j++) c[oc + j] += aip * b[ob + j];
    }
  }
  return c;
}

/**
 * C = A^T B for row-major A (m x n) and B (m x l), without forming A^T: a
 * new row-major n x l Float64Array, the sum over rows i of the outer product
 * of A's row i with B's row i. Pure; m n l multiply-adds. Throws RangeError
 * when the shapes disagree with the data or with each other.
 */
export function matmulTransposeA(
  a: Matrix,
  aShape: readonly [number, number],
  b: Matrix,
  bShape: readonly [number, number],
): Float64Array {
  const [m, n] = aShape;
  const [mb, l] = bShape;
  checkShape('A', a, m, n);
  checkShape('B', b, mb, l);
  if (mb !== m) throw new RangeError(`A^T B needs B to have ${m} rows (A's rows), got ${mb}.`);
  const c = new Float64Array(n * l);
  // Four rows of A and B per pass over C, as in matmul.
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const oa = i * n;
    const ob = i * l;
    for (let p = 0; p < n; p++) {
      const a0 = a[oa + p];
      const a1 = a[oa + n + p];
      const a2 = a[oa + 2 * n + p];
      const a3 = a[oa + 3 * n + p];
      const oc = p * l;
      for (let j = 0; j < l; j++) {
        c[oc + j] += a0 * b[ob + j] + a1 * b[ob + l + j] + a2 * b[ob + 2 * l + j] + a3 * b[ob + 3 * l + j];
      }
    }
  }
  for (; i < m; i++) {
    const oa = i * n;
    const ob = i * l;
    for (let p = 0; p < n; p++) {
      const aip = a[oa + p];
      const oc = p * l;
      for (let j = 0; j < l; j++) c[oc + j] += aip * b[ob + j];
    }
  }
  return c;
}
