import { describe, expect, it } from 'vitest';
import { NonFiniteMatrixError, svdJacobi, type Svd } from '../../src/core/svd';
import {
  frobeniusDistance,
  gaussianMatrix,
  matrixWithSpectrum,
  multiplySvd,
  orthonormalityDefect,
  transpose,
} from './reference';
import { SVD_CASES } from './svdCases';

/** Backward-error bounds every case must meet (float64, relative to ||A||). */
const RECONSTRUCTION_TOL = 1e-12;
const ORTHONORMALITY_TOL = 1e-12;
const SINGULAR_VALUE_TOL = 1e-12;

/** The column's largest-magnitude entry is positive (the documented sign convention). */
function largestEntryPositive(x: Float64Array, rows: number, cols: number, c: number): boolean {
  let maxAbs = 0;
  let maxSigned = -Infinity;
  for (let i = 0; i < rows; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(x[i * cols + c]));
    maxSigned = Math.max(maxSigned, x[i * cols + c]);
  }
  return maxSigned === maxAbs;
}

describe.each(SVD_CASES)('svdJacobi on $name', ({ m, n, build }) => {
  const { data, expected } = build();
  const input = Float64Array.from(data);
  const svd: Svd = svdJacobi(input, [m, n]);
  const r = Math.min(m, n);

  it('returns the documented shapes and converges', () => {
    expect([svd.m, svd.n, svd.r]).toEqual([m, n, r]);
    expect(svd.u.length).toBe(m * r);
    expect(svd.v.length).toBe(n * r);
    expect(svd.s.length).toBe(r);
    expect(svd.converged).toBe(true);
    expect(input).toEqual(data); // the input is left untouched
  });

  it('reconstructs A from U S V^T', () => {
    const error = frobeniusDistance(multiplySvd(svd.u, svd.s, svd.v, m, n, r), data);
    const norm = frobeniusDistance(data);
    if (norm === 0) expect(error).toBeLessThanOrEqual(RECONSTRUCTION_TOL);
    else expect(error / norm).toBeLessThanOrEqual(RECONSTRUCTION_TOL);
  });

  it('has orthonormal U and V columns', () => {
    expect(orthonormalityDefect(svd.u, m, r)).toBeLessThanOrEqual(ORTHONORMALITY_TOL);
    expect(orthonormalityDefect(svd.v, n, r)).toBeLessThanOrEqual(ORTHONORMALITY_TOL);
  });

  it('has descending non-negative singular values matching the reference', () => {
    for (let i = 0; i < r; i++) {
      expect(svd.s[i]).toBeGreaterThanOrEqual(0);
      if (i > 0) expect(svd.s[i]).toBeLessThanOrEqual(svd.s[i - 1]);
    }
    const scale = expected[0];
    for (let i = 0; i < r; i++) {
      expect(Math.abs(svd.s[i] - expected[i])).toBeLessThanOrEqual(SINGULAR_VALUE_TOL * scale);
    }
  });

  it('makes the largest-magnitude entry of each u column positive', () => {
    for (let c = 0; c < r; c++) expect(largestEntryPositive(svd.u, m, r, c)).toBe(true);
  });
});

describe('svdJacobi input checks', () => {
  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
  ])('rejects %s with NonFiniteMatrixError naming the entry', (_label, bad) => {
    const data = gaussianMatrix(4, 6, 21);
    data[2 * 6 + 3] = bad;
    let caught: unknown;
    try {
      svdJacobi(data, [4, 6]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(NonFiniteMatrixError);
    const typed = caught as NonFiniteMatrixError;
    expect([typed.row, typed.col]).toEqual([2, 3]);
    expect(Object.is(typed.value, bad)).toBe(true);
    expect(typed.message).toContain('[2, 3]');
  });

  it('rejects non-finite float32 input too', () => {
    const data = new Float32Array(6).fill(1);
    data[5] = Number.NaN;
    expect(() => svdJacobi(data, [2, 3])).toThrow(NonFiniteMatrixError);
  });

  it.each([
    [[0, 3]],
    [[3, 0]],
    [[0, 0]],
    [[2.5, 2]],
    [[-1, 4]],
  ] as [[number, number]][])('rejects the empty or invalid shape %j with RangeError', (shape) => {
    expect(() => svdJacobi(new Float64Array(0), shape)).toThrow(RangeError);
  });

  it('rejects data whose length does not match the shape', () => {
    expect(() => svdJacobi(new Float64Array(11), [3, 4])).toThrow(RangeError);
  });

  it('rejects nonsensical options', () => {
    const data = gaussianMatrix(3, 3, 22);
    expect(() => svdJacobi(data, [3, 3], { tolerance: 0 })).toThrow(RangeError);
    expect(() => svdJacobi(data, [3, 3], { maxSweeps: 0 })).toThrow(RangeError);
  });
});

describe('svdJacobi behaviour', () => {
  it('gives identical results for the same input (deterministic)', () => {
    const data = gaussianMatrix(37, 23, 31);
    const first = svdJacobi(data, [37, 23]);
    const second = svdJacobi(data, [37, 23]);
    expect(second.u).toEqual(first.u);
    expect(second.s).toEqual(first.s);
    expect(second.v).toEqual(first.v);
  });

  it('treats float32 input as the float64 matrix of the same values', () => {
    const single = Float32Array.from(gaussianMatrix(20, 12, 32));
    const fromSingle = svdJacobi(single, [20, 12]);
    const fromDouble = svdJacobi(Float64Array.from(single), [20, 12]);
    expect(fromSingle.s).toEqual(fromDouble.s);
    expect(fromSingle.u).toEqual(fromDouble.u);
  });

  it('swaps U and V for the transpose, up to the sign convention', () => {
    const data = matrixWithSpectrum(15, 9, [9, 7, 5, 4, 3, 2, 1.5, 1, 0.5], 33);
    const a = svdJacobi(data, [15, 9]);
    const t = svdJacobi(transpose(data, 15, 9), [9, 15]);
    for (let i = 0; i < 9; i++) expect(Math.abs(t.s[i] - a.s[i])).toBeLessThan(1e-13 * a.s[0]);
    // Distinct singular values: each pair agrees up to one sign per column.
    for (let c = 0; c < 9; c++) {
      let overlap = 0;
      for (let i = 0; i < 15; i++) overlap += t.v[i * 9 + c] * a.u[i * 9 + c];
      const sign = Math.sign(overlap);
      for (let i = 0; i < 15; i++) expect(Math.abs(t.v[i * 9 + c] - sign * a.u[i * 9 + c])).toBeLessThan(1e-12);
      for (let j = 0; j < 9; j++) expect(Math.abs(t.u[j * 9 + c] - sign * a.v[j * 9 + c])).toBeLessThan(1e-12);
    }
  });

  it('reports each sweep and stops when a sweep rotates nothing', () => {
    const seen: [number, number][] = [];
    const svd = svdJacobi(gaussianMatrix(40, 30, 34), [40, 30], {
      tolerance: 1e-13,
      onSweep: (sweep, off) => seen.push([sweep, off]),
    });
    expect(seen.map(([sweep]) => sweep)).toEqual(Array.from({ length: svd.sweeps }, (_, i) => i + 1));
    expect(seen[seen.length - 1][1]).toBeLessThanOrEqual(1e-13);
    expect(seen[0][1]).toBeGreaterThan(1e-13);
  });

  it('says so when maxSweeps runs out before convergence', () => {
    const svd = svdJacobi(gaussianMatrix(40, 30, 35), [40, 30], { maxSweeps: 1 });
    expect(svd.sweeps).toBe(1);
    expect(svd.converged).toBe(false);
  });
});
