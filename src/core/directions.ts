/**
 * A layer's input-space directions as pictures. For y = x W with W (m x n)
 * = U S V^T, the layer sees an input x only through x U S V^T: the columns
 * of U (the left singular vectors of the m x n kernel; the right singular
 * vectors of W^T in the papers' y = W^T x) are the input patterns it
 * responds to, strongest first. Rank k keeps the first k of them, so the
 * compressed layer sees the input's projection x U_k U_k^T and nothing else.
 */

/** Column `c` of a row-major m x r matrix, as a new Float64Array of length m. */
export function column(matrix: ArrayLike<number>, m: number, r: number, c: number): Float64Array {
  if (c < 0 || c >= r || matrix.length !== m * r) throw new RangeError(`Column ${c} of an ${m}x${r} matrix (${matrix.length} values) does not exist.`);
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) out[i] = matrix[i * r + c];
  return out;
}

/**
 * The projection of x (length m) onto the first k columns of U (m x r,
 * orthonormal columns, row-major): U_k (U_k^T x), a new Float64Array of
 * length m. k is clamped to [0, r]; k = 0 gives zeros, and for r = m at
 * k = m it is x itself.
 */
export function projectOnColumns(u: ArrayLike<number>, m: number, r: number, x: ArrayLike<number>, k: number): Float64Array {
  if (x.length !== m || u.length !== m * r) throw new RangeError(`Projecting ${x.length} values onto an ${m}x${r} basis (${u.length} values): the lengths do not fit.`);
  const kk = Math.max(0, Math.min(r, Math.floor(k)));
  const coefficients = new Float64Array(kk);
  for (let i = 0; i < m; i++) {
    const xi = x[i];
    if (xi === 0) continue;
    for (let c = 0; c < kk; c++) coefficients[c] += u[i * r + c] * xi;
  }
  const out = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let c = 0; c < kk; c++) sum += u[i * r + c] * coefficients[c];
    out[i] = sum;
  }
  return out;
}
