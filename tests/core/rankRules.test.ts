import { describe, expect, it } from 'vitest';
import { relativeTruncationError } from '../../src/core/factors';
import { searchKnob } from '../../src/core/knobSearch';
import {
  energyPlan,
  energyRank,
  outputErrorRule,
  outputErrorCurve,
  smallestRankWithin,
  type RankProbe,
} from '../../src/core/rankRules';
import { svdJacobi, type Svd } from '../../src/core/svd';
import { asRank, RankOutOfRangeError, type Rank } from '../../src/core/units';
import { frobeniusDistance, gaussianMatrix, identity, matrixWithSpectrum, multiplySvd, seededUniform } from './reference';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('energyRank, worked examples', () => {
  // [3, 2, 1]: squares 9, 4, 1, total 14; prefixes 9/14 = 0.643, 13/14 = 0.929, 1.
  it.each([
    [0.5, 1],
    [9 / 14 - 1e-9, 1],
    [0.9, 2],
    [0.95, 3],
    [1, 3],
  ])('spectrum [3, 2, 1] with tau = %f keeps rank %i', (tau, k) => {
    expect(energyRank(f64([3, 2, 1]), tau)).toBe(k);
  });

  it('counts a prefix that reaches tau exactly (>=, not >)', () => {
    // Squares 1, 1, 1, 1: rank 2 keeps exactly half, rank 3 exactly three quarters.
    expect(energyRank(f64([1, 1, 1, 1]), 0.5)).toBe(2);
    expect(energyRank(f64([1, 1, 1, 1]), 0.75)).toBe(3);
    expect(energyRank(f64([1, 1, 1, 1]), 0.5 + 1e-12)).toBe(3);
  });

  it('does not need trailing zeros, and gives 1 for an all-zero spectrum', () => {
    expect(energyRank(f64([3, 2, 1, 0, 0]), 1)).toBe(3);
    expect(energyRank(f64([0, 0, 0]), 0.9)).toBe(1);
  });

  it('neither overflows nor underflows at extreme scales', () => {
    expect(energyRank(f64([3e200, 2e200, 1e200]), 0.9)).toBe(2);
    expect(energyRank(f64([3e-200, 2e-200, 1e-200]), 0.9)).toBe(2);
    expect(energyRank(f64([3e-310, 2e-310, 1e-310]), 0.9)).toBe(2);
  });

  it('rejects a bad tau or spectrum', () => {
    for (const tau of [0, -0.1, 1.01, Number.NaN]) expect(() => energyRank(f64([1]), tau)).toThrow(RangeError);
    expect(() => energyRank(f64([]), 0.5)).toThrow(RangeError);
    expect(() => energyRank(f64([1, -1]), 0.5)).toThrow(RangeError);
    expect(() => energyRank(f64([1, Number.NaN]), 0.5)).toThrow(RangeError);
  });
});

describe('energyPlan', () => {
  it('maps each layer name to its energy rank', () => {
    const plan = energyPlan(
      [
        { name: 'dense_1', s: f64([3, 2, 1]), m: 5, n: 3 },
        { name: 'dense_2', s: f64([1, 1, 1, 1]), m: 4, n: 10 },
      ],
      0.9,
    );
    expect(plan).toEqual({ dense_1: 2, dense_2: 4 });
  });

  it('rejects duplicate names and spectra longer than min(m, n)', () => {
    const s = f64([1, 1]);
    expect(() => energyPlan([{ name: 'a', s, m: 2, n: 2 }, { name: 'a', s, m: 2, n: 2 }], 0.5)).toThrow(/twice/);
    expect(() => energyPlan([{ name: 'a', s: f64([1, 1, 1]), m: 2, n: 5 }], 0.5)).toThrow(RangeError);
  });
});

/** A random non-increasing error curve over ranks 1..maxK, with plateaus. */
function randomMonotoneErrors(maxK: number, rng: () => number): number[] {
  const errors: number[] = [];
  let e = 1 + rng();
  for (let k = 1; k <= maxK; k++) {
    if (rng() < 0.6) e *= 0.5 + 0.5 * rng();
    errors.push(e);
  }
  return errors;
}

describe('smallestRankWithin', () => {
  it('agrees with a linear scan on random monotone error curves, in O(log maxK) evaluations', () => {
    const rng = seededUniform(2024);
    for (let trial = 0; trial < 300; trial++) {
      const maxK = 1 + Math.floor(rng() * 200);
      const errors = randomMonotoneErrors(maxK, rng);
      // Thresholds below, at and above curve values, so plateaus and exact hits occur.
      const pick = errors[Math.floor(rng() * maxK)];
      const eps = [pick, pick * (0.5 + rng()), errors[maxK - 1] * 0.5][trial % 3];
      const linear = errors.findIndex((e) => e <= eps);
      const probes: RankProbe[] = [];
      const found = smallestRankWithin(maxK, (k) => errors[k - 1], eps, { onProbe: (p) => probes.push(p) });
      expect(found.rank).toBe(linear === -1 ? null : linear + 1);
      if (found.rank === null) expect(found.evaluations).toBe(1);
      else expect(found.error).toBe(errors[found.rank - 1]);
      expect(found.evaluations).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(maxK)));
      expect(found.probes).toEqual(probes);
      expect(new Set(probes.map((p) => p.rank)).size).toBe(probes.length);
    }
  });

  it('takes 11 evaluations for 1000 ranks', () => {
    let calls = 0;
    const found = smallestRankWithin(1000, (k) => (calls++, 1 / k), 1 / 377);
    expect(found.rank).toBe(377);
    expect(found.evaluations).toBe(calls);
    expect(calls).toBeLessThanOrEqual(11);
  });

  it('rejects a NaN error and a bad maxK or eps', () => {
    expect(() => smallestRankWithin(4, () => Number.NaN, 0.1)).toThrow(/NaN/);
    expect(() => smallestRankWithin(0, () => 0, 0.1)).toThrow(RangeError);
    expect(() => smallestRankWithin(4, () => 0, -1)).toThrow(RangeError);
  });
});

describe('outputErrorRule', () => {
  // 6 x 3: mn = 18, m + n = 9, so k = 2 gives k (m + n) = mn exactly: not a saving.
  it('searches only ranks that shrink the layer; the k (m + n) = mn boundary is kept dense', () => {
    const errors = [0.5, 0.1, 0];
    const tried: Rank[] = [];
    const errorAt = (k: Rank): number => (tried.push(k), errors[k - 1]);
    expect(outputErrorRule(6, 3, errorAt, 0.1)).toEqual({ keptDense: true, evaluations: 1, probes: [{ rank: 1, error: 0.5 }] });
    expect(tried).toEqual([1]);
    expect(outputErrorRule(6, 3, errorAt, 0.5)).toMatchObject({ keptDense: false, rank: 1, error: 0.5 });
    // 7 x 3: mn = 21 > 2 (m + n) = 20, so rank 2 now shrinks the layer and is found.
    expect(outputErrorRule(7, 3, errorAt, 0.1)).toMatchObject({ keptDense: false, rank: 2, error: 0.1 });
  });

  it('keeps a layer no rank can shrink dense without evaluating', () => {
    let calls = 0;
    expect(outputErrorRule(1, 50, () => (calls++, 0), 0.1)).toEqual({ keptDense: true, evaluations: 0, probes: [] });
    expect(outputErrorRule(2, 2, () => (calls++, 0), 0.1).keptDense).toBe(true);
    expect(calls).toBe(0);
  });

  it('picks the rank a linear scan of real output errors picks', () => {
    const [m, n, rows] = [12, 10, 30];
    const w = matrixWithSpectrum(m, n, Array.from({ length: n }, (_, i) => 0.6 ** i), 7);
    const x = gaussianMatrix(rows, m, 8);
    const svd = svdJacobi(w, [m, n]);
    const errorAt: (k: Rank) => number = outputErrorCurve(x, w, svd);
    for (const eps of [0.5, 0.2, 0.05, 0.01]) {
      const decision = outputErrorRule(m, n, errorAt, eps);
      // Shrinking ranks of 12 x 10: k (22) < 120, so k <= 5.
      let linear: number | null = null;
      for (let k = 1; k <= 5 && linear === null; k++) if (errorAt(asRank(k)) <= eps) linear = k;
      if (linear === null) expect(decision.keptDense).toBe(true);
      else expect(decision).toMatchObject({ keptDense: false, rank: linear });
    }
  });
});

describe('outputErrorCurve', () => {
  const [m, n, rows] = [9, 7, 20];
  const w = gaussianMatrix(m, n, 31);
  const x = gaussianMatrix(rows, m, 32);
  const svd = svdJacobi(w, [m, n]);

  /** Row-major (a x b) times (b x c) by the textbook triple loop. */
  function product(p: Float64Array, q: Float64Array, a: number, b: number, c: number): Float64Array {
    const out = new Float64Array(a * c);
    for (let i = 0; i < a; i++) for (let j = 0; j < c; j++) for (let t = 0; t < b; t++) out[i * c + j] += p[i * b + t] * q[t * c + j];
    return out;
  }

  /** The oracle: ||X W_k - X W|| / ||X W|| with W_k formed from `s`'s factors and every product done directly. */
  function direct(xs: Float64Array, ws: Float64Array, s: Svd, k: number, mm: number, nn: number): number {
    const wk = multiplySvd(s.u, s.s, s.v, mm, nn, s.r, k);
    const xw = product(xs, ws, xs.length / mm, mm, nn);
    return frobeniusDistance(product(xs, wk, xs.length / mm, mm, nn), xw) / frobeniusDistance(xw);
  }

  /** The top r directions of a full SVD: what a top-k SVD of W returns. */
  function topOf(full: Svd, r: number): Svd {
    const cut = (a: Float64Array, rows: number) => {
      const out = new Float64Array(rows * r);
      for (let i = 0; i < rows; i++) for (let c = 0; c < r; c++) out[i * r + c] = a[i * full.r + c];
      return out;
    };
    return { ...full, r, u: cut(full.u, full.m), s: full.s.slice(0, r), v: cut(full.v, full.n) };
  }

  it.each([1, 3, 6, 7])('matches ||X W_k - X W|| / ||X W|| computed directly at k = %i', (k) => {
    expect(outputErrorCurve(x, w, svd)(asRank(k))).toBeCloseTo(direct(x, w, svd, k, m, n), 12);
  });

  it('charges a top-k SVD for the directions it misses, on random and nasty kernels', () => {
    const [mm, nn, nrows] = [24, 16, 40];
    const kernels: Array<[string, Float64Array]> = [
      ['gaussian', gaussianMatrix(mm, nn, 41)],
      ['flat spectrum', matrixWithSpectrum(mm, nn, Array.from({ length: nn }, () => 1), 42)],
      ['rank 3', matrixWithSpectrum(mm, nn, Array.from({ length: nn }, (_, i) => (i < 3 ? 3 - i : 0)), 43)],
      ['graded 1e-12', matrixWithSpectrum(mm, nn, Array.from({ length: nn }, (_, i) => 10 ** (-12 * i / (nn - 1))), 44)],
      ['huge', gaussianMatrix(mm, nn, 45).map((v) => v * 1e150)],
    ];
    // Inputs in a 5-dimensional subspace: the error is not the kernel's truncation error.
    const basis = gaussianMatrix(5, mm, 46);
    const xs = product(gaussianMatrix(nrows, 5, 47), basis, nrows, 5, mm);
    let worst = 0;
    for (const [, ws] of kernels) {
      const full = svdJacobi(ws, [mm, nn]);
      for (const r of [4, 9, 16]) {
        const top = topOf(full, r);
        const curve = outputErrorCurve(xs, ws, top);
        for (let k = 1; k <= r; k++) {
          const expected = direct(xs, ws, top, k, mm, nn);
          const got = curve(asRank(k));
          worst = Math.max(worst, Math.abs(got - expected));
        }
      }
    }
    // Measured worst difference 1.3e-15 (float64 rounding); a top-k error that ignored the tail would be off by O(1).
    expect(worst).toBeLessThan(1e-14);
  });

  it('is the truncation error where the inputs are the identity (Eckart-Young), and exact at full rank', () => {
    const curve = outputErrorCurve(identity(m), w, svd);
    for (let k = 1; k <= n; k++) {
      const rank = asRank(k);
      expect(curve(rank)).toBeCloseTo(relativeTruncationError(svd, rank), 12);
    }
    // Top 4 of 7: the curve at rank 4 is what the 3 missing directions carry.
    expect(outputErrorCurve(identity(m), w, topOf(svd, 4))(asRank(4))).toBeCloseTo(relativeTruncationError(svd, asRank(4)), 12);
  });

  it('accepts float32 inputs and rejects mismatched shapes or a rank above r', () => {
    expect(outputErrorCurve(Float32Array.from(x), w, svd)(asRank(7))).toBeLessThan(1e-6);
    expect(() => outputErrorCurve(x.subarray(1), w, svd)).toThrow(RangeError);
    expect(() => outputErrorCurve(x, w.subarray(1), svd)).toThrow(RangeError);
    expect(() => outputErrorCurve(x, w, svd)(asRank(8))).toThrow(RankOutOfRangeError);
    expect(outputErrorCurve(new Float64Array(m), w, svd)(asRank(1))).toBe(0);
  });
});

describe('searchKnob', () => {
  it('bisects an increasing knob (tau, budget) to the smallest passing value', async () => {
    const result = await searchKnob(0, 1, (tau) => (tau >= 0.37 ? 0.98 : 0.9), 0.97);
    expect(result.feasible).toBe(true);
    expect(result.knob).toBeGreaterThanOrEqual(0.37);
    expect(result.knob).toBeLessThan(0.37 + 2 ** -10);
    expect(result.accuracy).toBe(0.98);
    expect(result.evaluations).toBe(12);
    expect(result.history).toHaveLength(12);
  });

  it('bisects a decreasing knob (eps) to the largest passing value, and awaits async accuracy', async () => {
    const result = await searchKnob(0, 1, async (eps) => (eps <= 0.2 ? 0.99 : 0.5), 0.95, { increasing: false, iterations: 16 });
    expect(result.feasible).toBe(true);
    expect(result.knob).toBeLessThanOrEqual(0.2);
    expect(result.knob).toBeGreaterThan(0.2 - 2 ** -16);
  });

  it('finds an integer budget exactly in about log2(range) evaluations', async () => {
    const result = await searchKnob(0, 5000, (budget) => (budget >= 1234 ? 0.97 : 0.96), 0.97, { integer: true, iterations: 40 });
    expect(result.knob).toBe(1234);
    expect(result.evaluations).toBeLessThanOrEqual(2 + Math.ceil(Math.log2(5000)));
    expect(result.history.every((p) => Number.isInteger(p.knob))).toBe(true);
  });

  it('stops after one evaluation when even the largest model misses, and after two when the smallest meets', async () => {
    const miss = await searchKnob(0, 1, (t) => 0.5 + 0.1 * t, 0.9);
    expect(miss).toMatchObject({ feasible: false, knob: 1, evaluations: 1 });
    expect(miss.accuracy).toBeCloseTo(0.6, 15);
    const easy = await searchKnob(0.1, 1, () => 0.99, 0.9);
    expect(easy).toMatchObject({ feasible: true, knob: 0.1, evaluations: 2 });
  });

  it('returns a measured passing point nearest the small end when accuracy is not monotone', async () => {
    // Passes on [0.6, 1] and on the island [0.1, 0.2]; the first midpoint 0.5 misses.
    const accuracyAt = (t: number): number => (t >= 0.6 || (t >= 0.1 && t <= 0.2) ? 0.9 : 0.1);
    const result = await searchKnob(0, 1, accuracyAt, 0.8, { iterations: 8 });
    expect(result.feasible).toBe(true);
    expect(accuracyAt(result.knob)).toBeGreaterThanOrEqual(0.8);
    const passing = result.history.filter((p) => p.accuracy >= 0.8).map((p) => p.knob);
    expect(result.knob).toBe(Math.min(...passing));
  });

  it('rejects bad ranges, targets, iteration counts and NaN accuracy', async () => {
    await expect(searchKnob(1, 1, () => 1, 0.5)).rejects.toThrow(RangeError);
    await expect(searchKnob(0, 1.5, () => 1, 0.5, { integer: true })).rejects.toThrow(RangeError);
    await expect(searchKnob(0, 1, () => 1, Number.NaN)).rejects.toThrow(RangeError);
    await expect(searchKnob(0, 1, () => 1, 0.5, { iterations: -1 })).rejects.toThrow(RangeError);
    await expect(searchKnob(0, 1, () => Number.NaN, 0.5)).rejects.toThrow(/NaN/);
  });
});
