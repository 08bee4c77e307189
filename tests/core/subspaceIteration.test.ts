import { describe, expect, it } from 'vitest';
import { orthonormalColumns, symmetricEigen, weightedSubspaceIteration } from '../../src/core/subspaceIteration';
import {
  gaussianMatrix,
  matrixWithSpectrum,
  orthonormalityDefect,
  randomOrthogonal,
  seededUniform,
  symmetricEigenvalues,
  transpose,
} from './reference';
import { multiply, projector, subspaceDistance } from './subspaceReference';

/** W^T diag(c) W, n x n, written out. */
function weightedGram(w: Float64Array, c: Float64Array, m: number, n: number): Float64Array {
  const scaled = w.map((x, i) => x * c[Math.floor(i / n)]);
  return multiply(transpose(w, m, n), scaled, n, m, n);
}

/** The first k columns of a random n x n orthogonal matrix. */
function randomBasis(n: number, k: number, seed: number): Float64Array {
  const q = randomOrthogonal(n, seed);
  const out = new Float64Array(n * k);
  for (let j = 0; j < n; j++) for (let c = 0; c < k; c++) out[j * k + c] = q[j * n + c];
  return out;
}

/** trace(V^T G V) for V n x k, G n x n. */
function traceOf(g: Float64Array, v: Float64Array, n: number, k: number): number {
  const gv = multiply(g, v, n, n, k);
  let sum = 0;
  for (let i = 0; i < n * k; i++) sum += v[i] * gv[i];
  return sum;
}

describe.each([
  ['random 30x6', 30, 6, gaussianMatrix(30, 6, 51)],
  ['rank 2 of 12x5', 12, 5, matrixWithSpectrum(12, 5, [3, 1], 52)],
  ['a zero column 10x4', 10, 4, gaussianMatrix(10, 4, 53).map((x, i) => (i % 4 === 2 ? 0 : x))],
  ['zero 6x3', 6, 3, new Float64Array(18)],
  ['tiny 1e-200, 9x4', 9, 4, gaussianMatrix(9, 4, 54).map((x) => x * 1e-200)],
  ['huge 1e200, 9x4', 9, 4, gaussianMatrix(9, 4, 55).map((x) => x * 1e200)],
])('orthonormalColumns of %s', (_name, rows, cols, x) => {
  const q = orthonormalColumns(x, rows, cols);

  it('is orthonormal even where x is rank-deficient', () => {
    expect(orthonormalityDefect(q, rows, cols)).toBeLessThan(1e-14);
  });

  it('contains the span of x: Q Q^T x = x', () => {
    const back = multiply(projector(q, rows, cols), x, rows, rows, cols);
    const scale = Math.max(...x.map(Math.abs));
    for (let i = 0; i < x.length; i++) expect(Math.abs(back[i] - x[i])).toBeLessThanOrEqual(1e-13 * scale);
  });
});

describe('orthonormalColumns of an orthonormal basis', () => {
  it('returns it unchanged up to rounding, order and signs kept', () => {
    const v = randomBasis(20, 5, 56);
    const q = orthonormalColumns(v, 20, 5);
    for (let i = 0; i < v.length; i++) expect(Math.abs(q[i] - v[i])).toBeLessThan(1e-14);
  });
});

describe('symmetricEigen', () => {
  it.each([1, 2, 7, 16])('decomposes a random symmetric %i x %i matrix: H E = E diag(values), values descending', (k) => {
    const a = gaussianMatrix(k, k, 60 + k);
    const h = multiply(a, transpose(a, k, k), k, k, k).map((x, i) => x - (i % (k + 1) === 0 ? 2 : 0)); // indefinite
    const { values, vectors } = symmetricEigen(h, k);
    const expected = symmetricEigenvalues(h, k);
    for (let i = 0; i < k; i++) expect(values[i]).toBeCloseTo(expected[i], 10);
    expect(orthonormalityDefect(vectors, k, k)).toBeLessThan(1e-13);
    const he = multiply(h, vectors, k, k, k);
    for (let r = 0; r < k; r++) {
      for (let c = 0; c < k; c++) expect(he[r * k + c]).toBeCloseTo(vectors[r * k + c] * values[c], 10);
    }
  });

  it('leaves a diagonal matrix alone apart from ordering (repeated values too)', () => {
    const h = Float64Array.of(1, 0, 0, 0, 3, 0, 0, 0, 3);
    const { values } = symmetricEigen(h, 3);
    expect(Array.from(values)).toEqual([3, 3, 1]);
  });
});

describe('weightedSubspaceIteration', () => {
  const [m, n, k] = [40, 12, 3];
  const w = gaussianMatrix(m, n, 70);
  const uniform = seededUniform(71);
  const c = Float64Array.from({ length: m }, () => 0.01 + uniform());
  const g = weightedGram(w, c, m, n);
  const topK = symmetricEigenvalues(g, n).slice(0, k).reduce((s, x) => s + x, 0);
  const start = randomBasis(n, k, 72);

  it('raises the trace from a random start, one step at a time, and reports it', () => {
    let previous = traceOf(g, start, n, k);
    for (const steps of [1, 2, 4, 8]) {
      const result = weightedSubspaceIteration(w, [m, n], c, start, k, steps);
      expect(result.iterations).toBe(steps);
      expect(orthonormalityDefect(result.basis, n, k)).toBeLessThan(1e-13);
      const trace = traceOf(g, result.basis, n, k);
      expect(result.trace).toBeCloseTo(trace, 9);
      expect(trace).toBeGreaterThanOrEqual(previous);
      expect(trace).toBeLessThanOrEqual(topK * (1 + 1e-12));
      previous = trace;
    }
  });

  it('converges to the top-k eigenspace of W^T diag(c) W, columns ordered by Ritz value', () => {
    const result = weightedSubspaceIteration(w, [m, n], c, start, k, 500);
    expect(result.iterations).toBeLessThan(500); // stopped by its own rule
    expect(result.trace).toBeCloseTo(topK, 8);
    const ritz = Array.from({ length: k }, (_, col) => {
      const column = Float64Array.from({ length: n }, (_, j) => result.basis[j * k + col]);
      return traceOf(g, column, n, 1);
    });
    for (let col = 1; col < k; col++) expect(ritz[col]).toBeLessThanOrEqual(ritz[col - 1]);
  });

  it('returns the start when no step is allowed or G V is zero', () => {
    expect(weightedSubspaceIteration(w, [m, n], c, start, k, 0).basis).toBe(start);
    const zero = weightedSubspaceIteration(w, [m, n], new Float64Array(m), start, k, 5);
    expect(zero.basis).toBe(start);
    expect(zero.iterations).toBe(0);
  });

  it('barely moves a converged basis', () => {
    // The stop rule is on the trace, whose error is quadratic in the angle:
    // a trace good to 1e-12 leaves angles of about 1e-6 to go.
    const top = weightedSubspaceIteration(w, [m, n], c, start, k, 500);
    const again = weightedSubspaceIteration(w, [m, n], c, top.basis, k, 8);
    expect(subspaceDistance(again.basis, top.basis, n, k)).toBeLessThan(1e-5);
    expect(again.trace).toBeGreaterThanOrEqual(top.trace);
    expect(again.trace).toBeLessThanOrEqual(top.trace * (1 + 1e-12));
  });
});
