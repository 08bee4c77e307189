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
import { gaussianMatrix as gaussianMatrixOf, seededGaussian } from '../../src/cli/randomMatrices';

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

/**
 * Singular values (descending, length min(m, n)) of the m x n matrix `a` by
 * plain cyclic one-sided (Hestenes) Jacobi on the columns of the tall one of
 * A and A^T, float64, no QR step and no pivoting: slow (q^2 p per sweep) but
 * accurate to a few eps relative to each singular value for matrices with
 * graded columns, where the Gram route above loses the small ones.
 */
export function hestenesSingularValues(a: Float64Array, m: number, n: number): Float64Array {
  const wide = m < n;
  const p = wide ? n : m;
  const q = wide ? m : n;
  // Column-major p x q: column c holds column c of A (tall) or row c of A (wide).
  const w = new Float64Array(p * q);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[wide ? i * n + j : j * m + i] = a[i * n + j];
  for (let sweep = 0; sweep < 80; sweep++) {
    let rotated = false;
    for (let i = 0; i < q - 1; i++) {
      for (let j = i + 1; j < q; j++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let k = 0; k < p; k++) {
          alpha += w[i * p + k] ** 2;
          beta += w[j * p + k] ** 2;
          gamma += w[i * p + k] * w[j * p + k];
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha) * Math.sqrt(beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.hypot(1, zeta));
        const c = 1 / Math.hypot(1, t);
        const s = c * t;
        for (let k = 0; k < p; k++) {
          const x = w[i * p + k];
          const y = w[j * p + k];
          w[i * p + k] = c * x - s * y;
          w[j * p + k] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const out = new Float64Array(q);
  for (let c = 0; c < q; c++) {
    let sq = 0;
    for (let k = 0; k < p; k++) sq += w[c * p + k] ** 2;
    out[c] = Math.sqrt(sq);
  }
  return out.sort().reverse();
}

/**
 * m x n Gaussian matrix with row i scaled by cond^(-pi(i) / (m - 1)) for a
 * seeded random permutation pi: row lengths graded over `cond`, in no
 * particular order. The large rows dominate every column, so the columns
 * are nearly parallel: one-sided Jacobi on A itself needs 15 to 21 sweeps
 * (float32, 160 x 96), after a column-pivoted QR about 5.
 */
export function gradedMatrix(m: number, n: number, cond: number, seed: number): Float64Array {
  const a = gaussianMatrixOf(m, n, seed);
  const next = seededGaussian(seed + 104729);
  const keys = Array.from({ length: m }, () => next());
  const order = Array.from({ length: m }, (_, i) => i).sort((x, y) => keys[x] - keys[y]);
  const factor = new Float64Array(m);
  order.forEach((i, position) => { factor[i] = cond ** (-position / Math.max(1, m - 1)); });
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[i * n + j] *= factor[i];
  return a;
}
