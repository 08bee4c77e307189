/**
 * The steps every one-sided Jacobi SVD shares, whichever device runs the
 * sweeps: laying the input out as a tall column-major work matrix (scaled by
 * a power of two), and turning orthogonalized columns into a thin SVD
 * (normalize, complete the basis where a column vanished, sort, fix signs).
 * svdJacobi (float64, CPU) and the WebGPU block Jacobi both use them, so
 * their results follow the same conventions.
 */

/**
 * Thrown when the matrix handed to an SVD holds NaN or +-Infinity.
 * Usually the weights of a diverged training run or a corrupt weight file.
 */
export class NonFiniteMatrixError extends Error {
  /** Row of the first offending entry (0-based). */
  readonly row: number;
  /** Column of the first offending entry (0-based). */
  readonly col: number;
  /** The offending value (NaN, Infinity or -Infinity). */
  readonly value: number;

  constructor(row: number, col: number, value: number) {
    super(
      `Matrix entry [${row}, ${col}] is ${value}; an SVD needs finite numbers. ` +
        'The weights are likely from a diverged training run or a corrupt file: ' +
        'retrain or reload the model before factorizing it.',
    );
    this.name = 'NonFiniteMatrixError';
    this.row = row;
    this.col = col;
    this.value = value;
  }
}


/** A tall p x q column-major copy of A or A^T, divided by `scale`. */
export interface WorkMatrix<T extends Float32Array | Float64Array> {
  work: T;
  /** Rows of the work matrix: max(m, n). */
  p: number;
  /** Columns of the work matrix: min(m, n). */
  q: number;
  /** True when the work matrix is A^T (m < n). */
  transposed: boolean;
  /** Power of two the entries were divided by; singular values are multiplied back by it. */
  scale: number;
}

/**
 * Copies row-major m x n `data` into a tall column-major work matrix (A when
 * m >= n, else A^T, which is `data` read as is), scaled by a power of two so
 * every entry lies in [0, 2): exact, and squared norms cannot overflow.
 * Throws NonFiniteMatrixError at the first NaN or Infinity.
 */
export function columnMajorWork<T extends Float32Array | Float64Array>(
  data: Float32Array | Float64Array,
  shape: readonly [number, number],
  make: (length: number) => T,
): WorkMatrix<T> {
  const [m, n] = shape;
  const transposed = m < n;
  const p = transposed ? n : m;
  const q = transposed ? m : n;
  let maxAbs = 0;
  for (let i = 0; i < m * n; i++) {
    const x = data[i];
    if (!Number.isFinite(x)) throw new NonFiniteMatrixError(Math.floor(i / n), i % n, x);
    const ax = Math.abs(x);
    if (ax > maxAbs) maxAbs = ax;
  }
  // Scale before storing: a float32 work matrix could not hold 1e250 unscaled.
  const scale = maxAbs > 0 ? 2 ** Math.floor(Math.log2(maxAbs)) : 1;
  const work = make(p * q);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) work[transposed ? i * n + j : j * m + i] = data[i * n + j] / scale;
  }
  return { work, p, q, transposed, scale };
}

/**
 * Fills the columns of the column-major rows x cols array `x` flagged in
 * `missing` so that all columns are orthonormal, given that the others
 * already are. Deterministic: each new column starts from the unit vector
 * e_k least covered by the columns so far (smallest row norm; lowest k on a
 * tie), orthogonalized twice by Gram-Schmidt, which keeps orthogonality at
 * rounding level. Needs rows >= cols.
 */
export function completeOrthonormalColumns(x: Float64Array, rows: number, cols: number, missing: Uint8Array): void {
  const filled: number[] = [];
  const rowSq = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    if (missing[c]) continue;
    filled.push(c);
    for (let k = 0; k < rows; k++) rowSq[k] += x[c * rows + k] * x[c * rows + k];
  }
  const vec = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    if (!missing[c]) continue;
    let best = 0;
    for (let k = 1; k < rows; k++) if (rowSq[k] < rowSq[best]) best = k;
    vec.fill(0);
    vec[best] = 1;
    for (let pass = 0; pass < 2; pass++) {
      for (const f of filled) {
        let proj = 0;
        for (let k = 0; k < rows; k++) proj += x[f * rows + k] * vec[k];
        for (let k = 0; k < rows; k++) vec[k] -= proj * x[f * rows + k];
      }
    }
    let normSq = 0;
    for (let k = 0; k < rows; k++) normSq += vec[k] * vec[k];
    const inv = 1 / Math.sqrt(normSq);
    for (let k = 0; k < rows; k++) {
      const e = vec[k] * inv;
      x[c * rows + k] = e;
      rowSq[k] += e * e;
    }
    filled.push(c);
  }
}

/**
 * Flips singular pairs (side effect on `u` and `v`, row-major with r columns)
 * so that each u column's largest-magnitude entry is positive. A pair's sign
 * is otherwise arbitrary, and a fixed choice makes results comparable across
 * runs and between CPU and GPU.
 */
export function fixSigns(u: Float64Array, uRows: number, v: Float64Array, vRows: number, r: number): void {
  for (let c = 0; c < r; c++) {
    let pivot = 0;
    for (let row = 1; row < uRows; row++) {
      if (Math.abs(u[row * r + c]) > Math.abs(u[pivot * r + c])) pivot = row;
    }
    if (u[pivot * r + c] >= 0) continue;
    for (let row = 0; row < uRows; row++) u[row * r + c] = -u[row * r + c];
    for (let row = 0; row < vRows; row++) v[row * r + c] = -v[row * r + c];
  }
}
