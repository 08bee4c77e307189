/**
 * SVD plus quantization: low-rank factors stored as int8 or int4 with the
 * singular values kept in float32.
 *
 * Scheme. The lab's factors are A = U_k sqrt(S_k) (m x k) and
 * B = sqrt(S_k) V_k^T (k x n). Quantizing A and B directly would bake the
 * spread of the singular values into the integer grids; instead they are
 * split back into
 *   U (m x k)    = A with each column scaled to unit norm,
 *   s (k)        = |A_:c| |B_c:|, float32,
 *   V^T (k x n)  = B with each row scaled to unit norm,
 * and U, V^T are quantized symmetrically per OUTPUT channel of the matmul
 * each one performs: x U has k outputs (U per column, k scales) and
 * (x U S) V^T has n outputs (V^T per column, n scales). A stored layer is
 * then int U, k float singular values, int V^T and k + n float scales.
 * The split is exact for any factor pair (A B = U diag(s) V^T whether or
 * not A's columns are orthogonal); for factors from an SVD it recovers
 * U_k, s_k and V_k^T themselves.
 */
import type { TruncatedFactors } from './factors';
import { dequantize, quantizedBytes, quantizeSymmetric, type QuantizationBits, type SymmetricQuantized } from './quantize';
import { asBytes, type Bytes } from './units';

/** Quantized low-rank factors and the float32 factors they decode to. */
export interface QuantizedFactors {
  /** m x k, float32: dequantized U times sqrt(s) per column, ready to use as the factor A. */
  readonly a: Float32Array;
  /** k x n, float32: sqrt(s) per row times dequantized V^T, ready to use as the factor B. */
  readonly b: Float32Array;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly bits: QuantizationBits;
  /** U (m x k) quantized per column. */
  readonly u: SymmetricQuantized;
  /** V^T (k x n) quantized per column (per output channel of the layer). */
  readonly vt: SymmetricQuantized;
  /** The k singular values, float32, kept unquantized. */
  readonly singularValues: Float32Array;
  /**
   * Stored size: both integer payloads (int4 packed), their k + n float32
   * scales and the k float32 singular values. The bias, if any, is not
   * counted (it stays float and belongs to the layer, not to the factors).
   */
  readonly bytes: Bytes;
}

/**
 * Quantizes rank-k factors (A m x k, B k x n, row-major, A B ~= W) as
 * int `bits` U, float s, int `bits` V^T (scheme in the file comment) and
 * returns the dequantized factors for evaluation with the byte count.
 * A column of A or row of B that is all zero gives s = 0 and a zero term.
 * Pure. Throws RangeError when the arrays do not fit [m, k] and [k, n] or
 * bits is not 8 or 4, NonFiniteMatrixError on NaN or Infinity.
 */
export function quantizeFactors(
  factors: Pick<TruncatedFactors, 'a' | 'b' | 'm' | 'n' | 'k'>,
  bits: QuantizationBits,
): QuantizedFactors {
  const { a, b, m, n, k } = factors;
  if (a.length !== m * k || b.length !== k * n) {
    throw new RangeError(`Factors of lengths ${a.length} and ${b.length} do not fit [${m}, ${k}] x [${k}, ${n}].`);
  }
  const singularValues = new Float32Array(k);
  const u = new Float32Array(m * k);
  const vt = new Float32Array(k * n);
  for (let c = 0; c < k; c++) {
    let colSq = 0;
    for (let i = 0; i < m; i++) colSq += a[i * k + c] ** 2;
    let rowSq = 0;
    for (let j = 0; j < n; j++) rowSq += b[c * n + j] ** 2;
    const colNorm = Math.sqrt(colSq);
    const rowNorm = Math.sqrt(rowSq);
    if (colNorm === 0 || rowNorm === 0) continue; // a zero term: s = 0, U and V^T stay 0
    singularValues[c] = colNorm * rowNorm;
    for (let i = 0; i < m; i++) u[i * k + c] = a[i * k + c] / colNorm;
    for (let j = 0; j < n; j++) vt[c * n + j] = b[c * n + j] / rowNorm;
  }
  const uq = quantizeSymmetric(u, m, k, bits, 'column');
  const vtq = quantizeSymmetric(vt, k, n, bits, 'column');
  const uDeq = dequantize(uq);
  const vtDeq = dequantize(vtq);
  // sqrt(s) on each side, as in truncatedFactors, so the decoded factors
  // drop into the lab exactly where unquantized ones would.
  const outA = new Float32Array(m * k);
  const outB = new Float32Array(k * n);
  for (let c = 0; c < k; c++) {
    const root = Math.sqrt(singularValues[c]);
    for (let i = 0; i < m; i++) outA[i * k + c] = uDeq[i * k + c] * root;
    for (let j = 0; j < n; j++) outB[c * n + j] = root * vtDeq[c * n + j];
  }
  const bytes = asBytes(quantizedBytes(m, k, bits, k) + quantizedBytes(k, n, bits, n) + 4 * k);
  return { a: outA, b: outB, m, n, k, bits, u: uq, vt: vtq, singularValues, bytes };
}
