import { describe, expect, it } from 'vitest';
import {
  reconstruct,
  relativeTruncationError,
  spectralTruncationError,
  truncatedFactors,
  truncationErrorFrobenius,
} from '../../src/core/factors';
import { svdJacobi, type Svd } from '../../src/core/svd';
import { asRank, RankOutOfRangeError } from '../../src/core/units';
import { frobeniusDistance, matrixWithSpectrum, multiplySvd } from './reference';

// A 40x25 matrix with a known, decaying spectrum s_i = 0.8^i (i = 0..24).
const M = 40;
const N = 25;
const SPECTRUM = Array.from({ length: N }, (_, i) => 0.8 ** i);
const A = matrixWithSpectrum(M, N, SPECTRUM, 101);
const SVD = svdJacobi(A, [M, N]);
const NORM_A = Math.sqrt(SPECTRUM.reduce((sum, x) => sum + x * x, 0));

/** sqrt(sum_{i >= k} s_i^2) of the known spectrum. */
function knownTail(k: number): number {
  return Math.sqrt(SPECTRUM.slice(k).reduce((sum, x) => sum + x * x, 0));
}

// float32 factors: entries carry a relative rounding of about 6e-8.
const FLOAT32_TOL = 1e-6;

describe.each([1, 5, 12, 24, 25])('rank-%i factors of a 40x25 matrix', (k) => {
  const rank = asRank(k);
  const { a, b } = truncatedFactors(SVD, rank);
  const product = reconstruct(a, b, M, k, N);

  it('multiply to the rank-k truncation U_k S_k V_k^T', () => {
    const truncation = multiplySvd(SVD.u, SVD.s, SVD.v, M, N, SVD.r, k);
    expect(frobeniusDistance(product, truncation)).toBeLessThan(FLOAT32_TOL * NORM_A);
  });

  it('miss A by the tail energy sqrt(sum_{i>k} s_i^2) (Eckart-Young)', () => {
    expect(Math.abs(frobeniusDistance(product, A) - knownTail(k))).toBeLessThan(FLOAT32_TOL * NORM_A);
  });

  it('split sqrt(S) evenly: column c of A and row c of B both have norm sqrt(s_c)', () => {
    for (let c = 0; c < k; c++) {
      let colSq = 0;
      for (let i = 0; i < M; i++) colSq += a[i * k + c] ** 2;
      let rowSq = 0;
      for (let j = 0; j < N; j++) rowSq += b[c * N + j] ** 2;
      const expected = Math.sqrt(SPECTRUM[c]);
      expect(Math.abs(Math.sqrt(colSq) - expected)).toBeLessThan(FLOAT32_TOL * expected);
      expect(Math.abs(Math.sqrt(rowSq) - expected)).toBeLessThan(FLOAT32_TOL * expected);
    }
  });

  it('report the truncation errors of the known spectrum', () => {
    expect(Math.abs(truncationErrorFrobenius(SVD, rank) - knownTail(k))).toBeLessThan(1e-12);
    expect(spectralTruncationError(SVD, rank)).toBeCloseTo(k < N ? SPECTRUM[k] : 0, 12);
    expect(relativeTruncationError(SVD, rank)).toBeCloseTo(knownTail(k) / NORM_A, 12);
  });

  it('agree in float64 with the error of the exact truncation', () => {
    const truncation = multiplySvd(SVD.u, SVD.s, SVD.v, M, N, SVD.r, k);
    const exactError = frobeniusDistance(truncation, A);
    expect(Math.abs(exactError - truncationErrorFrobenius(SVD, rank))).toBeLessThan(1e-12 * NORM_A);
  });
});

describe('truncated factors edge cases', () => {
  it('refuses a rank above min(m, n)', () => {
    expect(() => truncatedFactors(SVD, asRank(26))).toThrow(RankOutOfRangeError);
  });

  it('multiplies a hand-worked 2x2 by 2x3 product', () => {
    const a = Float64Array.of(1, 2, 3, 4);
    const b = Float64Array.of(5, 6, 7, 8, 9, 10);
    expect(Array.from(reconstruct(a, b, 2, 2, 3))).toEqual([21, 24, 27, 47, 54, 61]);
  });

  it('rejects factors whose lengths do not fit the shapes', () => {
    expect(() => reconstruct(new Float32Array(6), new Float32Array(6), 2, 2, 3)).toThrow(RangeError);
  });

  it('sums tail energy without overflow for huge singular values', () => {
    const huge: Svd = {
      u: new Float64Array(9),
      s: Float64Array.of(3e200, 1e200, 1e200),
      v: new Float64Array(9),
      m: 3,
      n: 3,
      r: 3,
      sweeps: 1,
      converged: true,
    };
    expect(truncationErrorFrobenius(huge, asRank(1)) / 1e200).toBeCloseTo(Math.SQRT2, 14);
    expect(relativeTruncationError(huge, asRank(1))).toBeCloseTo(Math.sqrt(2 / 11), 14);
  });

  it('gives zero errors for the zero matrix', () => {
    const zero = svdJacobi(new Float64Array(12), [3, 4]);
    expect(truncationErrorFrobenius(zero, asRank(1))).toBe(0);
    expect(relativeTruncationError(zero, asRank(2))).toBe(0);
    expect(Array.from(truncatedFactors(zero, asRank(2)).a)).toEqual(new Array(6).fill(0));
  });
});
