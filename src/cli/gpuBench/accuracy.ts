import type { Svd } from '../../core/svd';
import { orthonormalityDefect } from '../randomMatrices';

/**
 * Accuracy columns of the benchmark tables, computed the same way for every
 * implementation: relative reconstruction error over the returned factors,
 * orthogonality defects, and the largest singular-value error relative to
 * sigma_1 against the matrix's known spectrum.
 */
export interface SvdAccuracy {
  reconstruction: number;
  orthogonality: number;
  singularValues: number;
}

/**
 * Spectrum of the benchmark matrices. Full SVDs get quarter-circle values
 * (the shape of a square Gaussian matrix's spectrum, so Jacobi meets what a
 * random kernel gives it); top-k cases a geometric decay, where a
 * randomized SVD is meant to be used.
 */
export function benchSpectrum(r: number, decaying: boolean): number[] {
  return Array.from({ length: r }, (_, i) =>
    decaying ? 10 * 0.9 ** i : 2 * Math.cos((Math.PI / 2) * ((i + 0.5) / r)));
}

/** Accuracy of `svd` (r columns) for row-major m x n `a` whose exact singular values are `spectrum`. */
export function svdAccuracy(a: Float32Array | Float64Array, m: number, n: number, svd: Pick<Svd, 'u' | 's' | 'v' | 'r'>, spectrum: readonly number[]): SvdAccuracy {
  const r = svd.r;
  let err = 0;
  let norm = 0;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let c = 0; c < r; c++) {
      const us = svd.u[i * r + c] * svd.s[c];
      if (us === 0) continue;
      for (let j = 0; j < n; j++) row[j] += us * svd.v[j * r + c];
    }
    for (let j = 0; j < n; j++) {
      const x = a[i * n + j];
      err += (row[j] - x) ** 2;
      norm += x * x;
    }
  }
  // A top-k result reconstructs only its k directions: compare with the best rank-k error instead.
  const tail = spectrum.slice(r).reduce((t, s) => t + s * s, 0);
  const reconstruction = Math.abs(Math.sqrt(err) - Math.sqrt(tail)) / Math.sqrt(norm);
  const orthogonality = Math.max(orthonormalityDefect(svd.u, m, r), orthonormalityDefect(svd.v, n, r));
  let sv = 0;
  for (let c = 0; c < r; c++) sv = Math.max(sv, Math.abs(svd.s[c] - (spectrum[c] ?? 0)));
  return { reconstruction, orthogonality, singularValues: sv / spectrum[0] };
}
