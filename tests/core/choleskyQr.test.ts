import { describe, expect, it } from 'vitest';
import { factorGram, multiplyUpper } from '../../src/core/cholesky';
import {
  CHOLESKY_QR_MAX_STEPS,
  cholesky,
  CholeskyBreakdownError,
  choleskyQr2,
  choleskyQrShift,
  choleskyQrStepFactor,
  gramDistanceFromIdentity,
  gramMatrix,
  solveUpperFromRight,
} from '../../src/core/choleskyQr';
import { NonFiniteMatrixError } from '../../src/core/svd';
import { frobeniusDistance, gaussianMatrix, orthonormalityDefect, transpose } from './reference';
import { geometricSpectrum, thinMatrixWithSpectrum } from '../../src/cli/thinSpectrum';

/** Q^T Q = I entrywise; CholeskyQR2's bound is a small multiple of l u. */
const ORTHONORMALITY_TOL = 1e-14;
/** ||Q R - Y||_F / ||Y||_F for full-rank input. */
const RECONSTRUCTION_TOL = 1e-14;
/** The same for rank-deficient input, where some columns of Q are fillers. */
const DEFICIENT_RECONSTRUCTION_TOL = 1e-12;

/** Q R for row-major Q (m x l) and upper triangular R (l x l), independent of src/core. */
function multiplyQr(q: Float64Array, r: Float64Array, m: number, l: number): Float64Array {
  const out = new Float64Array(m * l);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < l; j++) {
      let x = 0;
      for (let c = 0; c <= j; c++) x += q[i * l + c] * r[c * l + j];
      out[i * l + j] = x;
    }
  }
  return out;
}

function strictlyLowerIsZero(r: Float64Array, l: number): boolean {
  for (let i = 1; i < l; i++) for (let j = 0; j < i; j++) if (r[i * l + j] !== 0) return false;
  return true;
}

function withColumns(m: number, l: number, seed: number, edit: (y: Float64Array) => void): Float64Array {
  const y = gaussianMatrix(m, l, seed);
  edit(y);
  return y;
}

interface QrCase {
  readonly name: string;
  readonly m: number;
  readonly l: number;
  readonly build: () => Float64Array;
  /** Expected to need more than plain CholeskyQR2. */
  readonly hard: boolean;
}

const FULL_RANK: readonly QrCase[] = [
  { name: 'random Gaussian 500x30', m: 500, l: 30, build: () => gaussianMatrix(500, 30, 1), hard: false },
  { name: 'tall random 4096x64', m: 4096, l: 64, build: () => gaussianMatrix(4096, 64, 2), hard: false },
  { name: 'square 30x30', m: 30, l: 30, build: () => gaussianMatrix(30, 30, 3), hard: false },
  { name: 'cond 1e6, 1000x40', m: 1000, l: 40, build: () => thinMatrixWithSpectrum(1000, 40, geometricSpectrum(40, 1e6), 4), hard: true },
  { name: 'cond 1e8, 1000x40', m: 1000, l: 40, build: () => thinMatrixWithSpectrum(1000, 40, geometricSpectrum(40, 1e8), 5), hard: true },
  { name: 'cond 1e12, 600x30', m: 600, l: 30, build: () => thinMatrixWithSpectrum(600, 30, geometricSpectrum(30, 1e12), 6), hard: true },
  { name: 'entries near 1e280', m: 50, l: 6, build: () => gaussianMatrix(50, 6, 7).map((x) => x * 1e280), hard: false },
  { name: 'entries near 1e-290', m: 50, l: 6, build: () => gaussianMatrix(50, 6, 8).map((x) => x * 1e-290), hard: false },
  {
    name: 'columns scaled 1 down to 1e-270',
    m: 200,
    l: 10,
    build: () => withColumns(200, 10, 9, (y) => y.forEach((x, i) => (y[i] = x * 10 ** (-30 * (i % 10))))),
    hard: false,
  },
  { name: '1x1', m: 1, l: 1, build: () => Float64Array.of(-3), hard: false },
];

const RANK_DEFICIENT: readonly QrCase[] = [
  {
    name: 'zero and duplicated columns 300x20',
    m: 300,
    l: 20,
    build: () =>
      withColumns(300, 20, 10, (y) => {
        for (let i = 0; i < 300; i++) {
          y[i * 20 + 3] = 0;
          y[i * 20 + 11] = 0;
          y[i * 20 + 7] = y[i * 20 + 2];
        }
      }),
    hard: true,
  },
  { name: 'rank 5 of 300x20', m: 300, l: 20, build: () => thinMatrixWithSpectrum(300, 20, [5, 4, 3, 2, 1], 11), hard: true },
  { name: 'rank 1 of 4096x74', m: 4096, l: 74, build: () => thinMatrixWithSpectrum(4096, 74, [1], 12), hard: true },
  {
    name: 'first column zero 50x6',
    m: 50,
    l: 6,
    build: () => withColumns(50, 6, 13, (y) => y.forEach((_, i) => i % 6 === 0 && (y[i] = 0))),
    hard: true,
  },
  { name: 'all-zero 12x5', m: 12, l: 5, build: () => new Float64Array(60), hard: true },
];

describe.each([...FULL_RANK.map((c) => ({ ...c, deficient: false })), ...RANK_DEFICIENT.map((c) => ({ ...c, deficient: true }))])(
  'choleskyQr2 on $name',
  ({ m, l, build, hard, deficient }) => {
    const y = build();
    const input = Float64Array.from(y);
    const qr = choleskyQr2(input, [m, l]);

    it('returns orthonormal Q and upper triangular R of the documented shapes', () => {
      expect([qr.m, qr.l, qr.q.length, qr.r.length]).toEqual([m, l, m * l, l * l]);
      expect(orthonormalityDefect(qr.q, m, l)).toBeLessThanOrEqual(ORTHONORMALITY_TOL);
      expect(strictlyLowerIsZero(qr.r, l)).toBe(true);
      expect(qr.converged).toBe(true);
      expect(input).toEqual(y);
    });

    it('reconstructs Y = Q R', () => {
      const norm = frobeniusDistance(y);
      const error = frobeniusDistance(multiplyQr(qr.q, qr.r, m, l), y);
      if (norm === 0) expect(error).toBe(0);
      else expect(error / norm).toBeLessThanOrEqual(deficient ? DEFICIENT_RECONSTRUCTION_TOL : RECONSTRUCTION_TOL);
    });

    it(hard ? 'takes the shifted path' : 'is plain CholeskyQR2 (two unshifted steps)', () => {
      if (hard) {
        expect(qr.shiftedSteps).toBeGreaterThanOrEqual(1);
        expect(qr.steps).toBeLessThanOrEqual(CHOLESKY_QR_MAX_STEPS);
      } else {
        expect([qr.steps, qr.shiftedSteps]).toEqual([2, 0]);
      }
    });
  },
);

describe('choleskyQr2 on rank-deficient input', () => {
  it('fills zero columns with an orthonormal completion and gives them zero columns of R', () => {
    const y = withColumns(40, 8, 20, (a) => a.forEach((_, i) => i % 8 === 5 && (a[i] = 0)));
    const qr = choleskyQr2(y, [40, 8]);
    expect(qr.completedColumns).toBe(1);
    for (let i = 0; i < 8; i++) expect(Math.abs(qr.r[i * 8 + 5])).toBeLessThanOrEqual(1e-14 * frobeniusDistance(y));
  });

  it('returns R = 0 and the completion for an all-zero Y', () => {
    const qr = choleskyQr2(new Float64Array(15), [5, 3]);
    expect(qr.completedColumns).toBe(3);
    expect(Array.from(qr.r)).toEqual(new Array(9).fill(0));
    expect(orthonormalityDefect(qr.q, 5, 3)).toBe(0);
  });
});

describe('choleskyQr2 behaviour and input checks', () => {
  it('is deterministic and treats float32 input as the float64 matrix of the same values', () => {
    const single = Float32Array.from(gaussianMatrix(64, 12, 21));
    const a = choleskyQr2(single, [64, 12]);
    const b = choleskyQr2(Float64Array.from(single), [64, 12]);
    expect(a.q).toEqual(b.q);
    expect(a.r).toEqual(b.r);
  });

  it('rejects NaN and Infinity with NonFiniteMatrixError naming the entry', () => {
    const y = gaussianMatrix(10, 4, 22);
    y[6 * 4 + 1] = Number.NaN;
    expect(() => choleskyQr2(y, [10, 4])).toThrow(NonFiniteMatrixError);
    y[6 * 4 + 1] = -Infinity;
    try {
      choleskyQr2(y, [10, 4]);
      expect.unreachable();
    } catch (error) {
      expect([(error as NonFiniteMatrixError).row, (error as NonFiniteMatrixError).col]).toEqual([6, 1]);
    }
  });

  it.each([[[3, 4]], [[0, 0]], [[4, 0]], [[2.5, 1]]] as [[number, number]][])('rejects shape %j with RangeError', (shape) => {
    expect(() => choleskyQr2(new Float64Array(Math.max(0, shape[0] * shape[1])), shape)).toThrow(RangeError);
  });

  it('rejects data whose length does not match the shape', () => {
    expect(() => choleskyQr2(new Float64Array(11), [4, 3])).toThrow(RangeError);
  });

  it('uses the shifted CholeskyQR3 shift 11 (m l + l (l + 1)) u trace(G), u of the given precision', () => {
    expect(choleskyQrShift(100, 10, 2)).toBe(11 * (1000 + 110) * 2 ** -53 * 2);
    expect(choleskyQrShift(100, 10, 2, 2 ** -24)).toBe(11 * (1000 + 110) * 2 ** -24 * 2);
  });
});

describe('Cholesky building blocks', () => {
  const l = 12;
  const x = gaussianMatrix(40, l, 30);
  const g = gramMatrix(x, 40, l);

  it('gramMatrix is X^T X', () => {
    const xt = transpose(x, 40, l);
    for (let a = 0; a < l; a++) {
      for (let b = 0; b < l; b++) {
        let dot = 0;
        for (let i = 0; i < 40; i++) dot += xt[a * 40 + i] * xt[b * 40 + i];
        expect(g[a * l + b]).toBeCloseTo(dot, 12);
      }
    }
  });

  it('cholesky gives upper R with R^T R = G', () => {
    const r = cholesky(g, l);
    expect(strictlyLowerIsZero(r, l)).toBe(true);
    const rtr = new Float64Array(l * l);
    for (let a = 0; a < l; a++) for (let b = 0; b < l; b++) for (let k = 0; k < l; k++) rtr[a * l + b] += r[k * l + a] * r[k * l + b];
    expect(frobeniusDistance(rtr, g) / frobeniusDistance(g)).toBeLessThan(1e-15);
  });

  it('cholesky throws CholeskyBreakdownError at the first non-positive pivot', () => {
    try {
      cholesky(Float64Array.of(1, 2, 2, 1), 2);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CholeskyBreakdownError);
      expect((error as CholeskyBreakdownError).column).toBe(1);
      expect((error as CholeskyBreakdownError).pivot).toBeCloseTo(-3, 14);
    }
    expect(() => cholesky(Float64Array.of(Number.NaN), 1)).toThrow(CholeskyBreakdownError);
  });

  it('factorGram drops a dependent column and zeroes its row of R', () => {
    // Gram matrix of columns [a, 2a, b]: column 1 depends on column 0.
    const semidefinite = Float64Array.of(1, 2, 0, 2, 4, 0, 0, 0, 9);
    const factor = factorGram(semidefinite, 3, { relativeFloor: 1e-28 });
    expect(Array.from(factor.dropped)).toEqual([0, 1, 0]);
    expect(Array.from(factor.r)).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 3]);
  });

  it('choleskyQrStepFactor equilibrates exactly: R^T R = G for unequal column lengths', () => {
    const scaled = Float64Array.from(x);
    for (let i = 0; i < 40; i++) for (let j = 0; j < l; j++) scaled[i * l + j] *= 2 ** (40 * j);
    const gram = gramMatrix(scaled, 40, l);
    const step = choleskyQrStepFactor(gram, 40, l);
    expect(step.shifted).toBe(false);
    const q = Float64Array.from(scaled);
    solveUpperFromRight(q, 40, l, step.r);
    expect(orthonormalityDefect(q, 40, l)).toBeLessThan(1e-13);
  });

  it('choleskyQrStepFactor shifts at float32 precision where float64 needs no shift', () => {
    // Columns with cosine 1 - 1e-9: fine in float64, at rounding level in float32.
    const near = Float64Array.of(1, 1 - 1e-9, 1 - 1e-9, 1);
    expect(choleskyQrStepFactor(near, 1000, 2).shifted).toBe(false);
    expect(choleskyQrStepFactor(near, 1000, 2, 2 ** -24).shifted).toBe(true);
  });

  it('gramDistanceFromIdentity is ||G - I||_F', () => {
    expect(gramDistanceFromIdentity(Float64Array.of(1, 0.3, 0.3, 0.6), 2)).toBeCloseTo(Math.sqrt(0.09 * 2 + 0.16), 15);
  });

  it('solveUpperFromRight inverts multiplication by R, and multiplyUpper composes', () => {
    const r = cholesky(g, l);
    const y = gaussianMatrix(7, l, 31);
    const solved = Float64Array.from(y);
    solveUpperFromRight(solved, 7, l, r);
    expect(frobeniusDistance(multiplyQr(solved, r, 7, l), y)).toBeLessThan(1e-13 * frobeniusDistance(y));
    const twice = Float64Array.from(y);
    solveUpperFromRight(twice, 7, l, r);
    solveUpperFromRight(twice, 7, l, r);
    expect(frobeniusDistance(multiplyQr(twice, multiplyUpper(r, r, l), 7, l), y)).toBeLessThan(1e-12 * frobeniusDistance(y));
  });
});
