/**
 * Float64 reference maths for the SVD tests, written independently of
 * src/core (no imports from it) so that a bug there cannot hide itself:
 * random orthogonal matrices, matrices with a prescribed
 * spectrum (so the exact singular values are known by construction), and a
 * two-sided cyclic Jacobi eigen-solver for the Gram matrix of a random
 * matrix whose spectrum is not known in advance.
 *
 * All matrices are row-major Float64Arrays with explicit dimensions.
 */

// The seeded generators live with the benchmarks, which must not import from tests/.
export { seededUniform, seededGaussian, gaussianMatrix, orthonormalityDefect } from '../../src/cli/randomMatrices';
import { seededGaussian } from '../../src/cli/randomMatrices';

/**
 * A random n x n orthogonal matrix as the product of n Householder
 * reflections I - 2 w w^T / (w^T w) with Gaussian w. Each reflection is
 * orthogonal to rounding, so the product is too.
 */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const next = seededGaussian(seed);
  const q = identity(n);
  const w = new Float64Array(n);
  for (let step = 0; step < n; step++) {
    let wNormSq = 0;
    for (let i = 0; i < n; i++) {
      w[i] = next();
      wNormSq += w[i] * w[i];
    }
    // q <- q (I - 2 w w^T / |w|^2), row by row.
    for (let row = 0; row < n; row++) {
      let proj = 0;
      for (let i = 0; i < n; i++) proj += q[row * n + i] * w[i];
      const f = (2 * proj) / wNormSq;
      for (let i = 0; i < n; i++) q[row * n + i] -= f * w[i];
    }
  }
  return q;
}

/**
 * m x n matrix Q1[:, :r] diag(s) Q2[:, :r]^T with random orthogonal Q1, Q2,
 * r = s.length <= min(m, n): its singular values are exactly s (plus
 * min(m, n) - r zeros), up to the rounding of this product.
 */
export function matrixWithSpectrum(m: number, n: number, s: readonly number[], seed: number): Float64Array {
  const q1 = randomOrthogonal(m, seed);
  const q2 = randomOrthogonal(n, seed + 7919);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let c = 0; c < s.length; c++) x += q1[i * m + c] * s[c] * q2[j * n + c];
      out[i * n + j] = x;
    }
  }
  return out;
}

/** Eigenvalues (descending) of the symmetric n x n matrix `sym`, by cyclic two-sided Jacobi. */
export function symmetricEigenvalues(sym: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(sym);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < n; i++) {
      diag += a[i * n + i] * a[i * n + i];
      for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    }
    // Off-diagonal mass below (1e-15)^2 of the diagonal: eigenvalues are
    // then correct to rounding level.
    if (off <= 1e-30 * diag) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // Classical Jacobi angle: tan(2 theta) = 2 a_pq / (a_qq - a_pp).
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.hypot(1, theta));
        const c = 1 / Math.hypot(1, t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // Columns p and q, then rows p and q: A <- J^T A J.
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return values.sort().reverse();
}

/**
 * Singular values (descending, length min(m, n)) of the m x n matrix `a`
 * as square roots of the eigenvalues of its smaller Gram matrix. Squaring
 * loses accuracy for small singular values (absolute error about
 * eps sigma_1^2 / sigma_i), so use it only for well-conditioned matrices.
 */
export function gramSingularValues(a: Float64Array, m: number, n: number): Float64Array {
  const wide = m < n;
  const size = wide ? m : n;
  const gram = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let x = 0;
      if (wide) for (let k = 0; k < n; k++) x += a[i * n + k] * a[j * n + k];
      else for (let k = 0; k < m; k++) x += a[k * n + i] * a[k * n + j];
      gram[i * size + j] = x;
    }
  }
  return symmetricEigenvalues(gram, size).map((x) => Math.sqrt(Math.max(0, x)));
}

/** n x n identity. */
export function identity(n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return out;
}

/** U diag(s) V^T for row-major U (m x r) and V (n x r), first `k` terms (default all r). */
export function multiplySvd(
  u: Float64Array,
  s: Float64Array,
  v: Float64Array,
  m: number,
  n: number,
  r: number,
  k = r,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let x = 0;
      for (let c = 0; c < k; c++) x += u[i * r + c] * s[c] * v[j * r + c];
      out[i * n + j] = x;
    }
  }
  return out;
}

/**
 * Frobenius norm of a - b (or of a alone), float64, scaled by the largest
 * entry first so that matrices with entries near 1e+-300 neither overflow
 * nor underflow.
 */
export function frobeniusDistance(a: ArrayLike<number>, b?: ArrayLike<number>): number {
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - (b ? b[i] : 0)));
  if (largest === 0) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] - (b ? b[i] : 0)) / largest;
    sum += d * d;
  }
  return largest * Math.sqrt(sum);
}

/** Row-major transpose of an m x n matrix (result n x m). */
export function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j];
  return out;
}
