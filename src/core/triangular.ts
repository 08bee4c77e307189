/**
 * Inverse of an upper triangular matrix, for the GPU CholeskyQR step: the
 * GPU applies Q = Y R^{-1} as one matrix product, so it needs R^{-1} itself
 * (l x l, tiny), not a triangular solve per row.
 */

/**
 * R^{-1} of the row-major l x l upper triangular `r` by back substitution,
 * column by column. A zero diagonal entry (a column CholeskyQR dropped)
 * yields a zero row and column in the result, so the matching Q column is
 * zero instead of Infinity. Pure; l^3 / 3 flops.
 */
export function invertUpper(r: Float64Array, l: number): Float64Array {
  if (r.length !== l * l) throw new RangeError(`An ${l}x${l} matrix needs ${l * l} entries, got ${r.length}.`);
  const inv = new Float64Array(l * l);
  for (let j = 0; j < l; j++) {
    if (r[j * l + j] === 0) continue;
    inv[j * l + j] = 1 / r[j * l + j];
    for (let i = j - 1; i >= 0; i--) {
      if (r[i * l + i] === 0) continue;
      let sum = 0;
      for (let k = i + 1; k <= j; k++) sum += r[i * l + k] * inv[k * l + j];
      inv[i * l + j] = -sum / r[i * l + i];
    }
  }
  return inv;
}
