import { describe, expect, it } from 'vitest';
import { aldsOptimize, allocateRanksMinMax, BudgetTooSmallError } from '../../src/core/alds';

import {
  AldsSpectraCache,
  channelDivisors,
  groupedOption,
  groupedProfile,
  groupSpectra,
  groupSvds,
  type AldsLayer,
} from '../../src/core/aldsSpectra';
import { asParamCount } from '../../src/core/units';
import { svdJacobi } from '../../src/core/svd';
import { gaussianMatrix, gramSingularValues, matrixWithSpectrum } from './reference';

// A 4 x 3 kernel whose two 2-row groups and whole spectrum are known by hand:
// group 1 rows (3,0,0), (0,1,0): s = [3, 1]; group 2 rows (0,0,2), (0.5,0,0): s = [2, 0.5];
// the columns of W are orthogonal with norms sqrt(9 + 0.25), 1, 2, so s(W) = [sqrt(9.25), 2, 1].
const HAND = Float64Array.from([3, 0, 0, 0, 1, 0, 0, 0, 2, 0.5, 0, 0]);
const HAND_LAYER: AldsLayer = { name: 'hand', w: HAND, m: 4, n: 3, hasBias: true };
const S1 = Math.sqrt(9.25);

describe('group spectra and eps(k, j) on a hand-made kernel', () => {
  it('finds each group spectrum and s_1 of the whole kernel', () => {
    const g = groupSpectra(HAND, 4, 3, 2);
    expect(g.rowsPerGroup).toBe(2);
    expect(Array.from(g.spectra[0])).toEqual([expect.closeTo(3, 14), expect.closeTo(1, 14)]);
    expect(Array.from(g.spectra[1])).toEqual([expect.closeTo(2, 14), expect.closeTo(0.5, 14)]);
    expect(g.sigmaMax).toBeCloseTo(S1, 14);
    expect(groupSpectra(HAND, 4, 3, 1).sigmaMax).toBeCloseTo(S1, 14);
  });

  it('gives the grouped error (the groups\' tails are orthogonal here: max_g s_{j+1}(W_g) / s_1(W)) and the grouped sizes (bias 3 included)', () => {
    const cache = new AldsSpectraCache([HAND_LAYER]);
    const two = cache.profile(0, 2);
    // j = 1: 1 (4 + 2 * 3) = 10 < 12, error max(1, 0.5) / s_1.
    expect(groupedOption(two, 1)).toEqual({ params: 13, error: expect.closeTo(1 / S1, 14), keptDense: false });
    // j = 2: 20 >= 12, kept dense with error 0.
    expect(groupedOption(two, 2)).toEqual({ params: 15, error: 0, keptDense: true });
    const one = cache.profile(0, 1);
    expect(groupedOption(one, 1)).toEqual({ params: 10, error: expect.closeTo(2 / S1, 14), keptDense: false });
    // j = 2 with one group: 14 >= 12, kept dense.
    expect(groupedOption(one, 2)).toMatchObject({ params: 15, keptDense: true });
    // Four one-row groups: rank 1 already costs 4 + 12 = 16 >= 12.
    expect(groupedOption(cache.profile(0, 4), 1)).toMatchObject({ params: 15, keptDense: true });
    expect(() => groupedOption(two, 3)).toThrow(RangeError);
    // 6 x 3 at rank 2: 2 (6 + 3) = 18 = m n exactly, which saves nothing: kept dense.
    const edge = new AldsSpectraCache([{ name: 'edge', w: gaussianMatrix(6, 3, 5), m: 6, n: 3, hasBias: false }]);
    expect(groupedOption(edge.profile(0, 1), 1)).toMatchObject({ params: 9, keptDense: false });
    expect(groupedOption(edge.profile(0, 1), 2)).toEqual({ params: 18, error: 0, keptDense: true });
  });

  it('caches: a profile is computed once, and s_1 is reused across group counts', () => {
    const cache = new AldsSpectraCache([HAND_LAYER]);
    cache.profile(0, 2);
    expect(cache.svdCount).toBe(3); // one for k = 1 (for s_1), two groups for k = 2
    expect(cache.profile(0, 2)).toBe(cache.profile(0, 2));
    cache.profile(0, 1);
    expect(cache.svdCount).toBe(3);
    expect(() => cache.profile(0, 3)).toThrow(/divide/);
  });

  it('lists divisors ascending, capped', () => {
    expect(channelDivisors(784)).toEqual([1, 2, 4, 7, 8, 14, 16, 28, 49, 56, 98, 112, 196, 392, 784]);
    expect(channelDivisors(12, 4)).toEqual([1, 2, 3, 4]);
    expect(channelDivisors(13)).toEqual([1, 13]);
  });
});

// Three tiny layers of different shapes; the brute force below enumerates every rank combination.
const TINY: AldsLayer[] = [
  { name: 'a', w: gaussianMatrix(6, 4, 11), m: 6, n: 4, hasBias: true },
  { name: 'b', w: matrixWithSpectrum(4, 5, [5, 1, 0.4, 0.1], 12), m: 4, n: 5, hasBias: false },
  { name: 'c', w: gaussianMatrix(8, 3, 13), m: 8, n: 3, hasBias: true },
];

/**
 * Size and error of one layer at (k, j), from the definitions: the stacked
 * rank-j truncations of its groups subtracted entry by entry, and the
 * spectral norm of that error over s_1(W), both norms from the reference's
 * Gram eigenvalues (float64, independent of the lab's Lanczos).
 */
function referenceOption(layer: AldsLayer, k: number, j: number): { params: number; error: number } {
  const { m, n, hasBias } = layer;
  const bias = hasBias ? n : 0;
  if (j * (m + k * n) >= m * n) return { params: m * n + bias, error: 0 };
  const w = Float64Array.from(layer.w);
  const rows = m / k;
  const e = Float64Array.from(w);
  for (let g = 0; g < k; g++) {
    const svd = svdJacobi(w.subarray(g * rows * n, (g + 1) * rows * n), [rows, n]);
    for (let i = 0; i < rows; i++) {
      for (let c = 0; c < n; c++) {
        let kept = 0;
        for (let t = 0; t < Math.min(j, svd.r); t++) kept += svd.u[i * svd.r + t] * svd.s[t] * svd.v[c * svd.r + t];
        e[(g * rows + i) * n + c] -= kept;
      }
    }
  }
  return { params: j * (m + k * n) + bias, error: gramSingularValues(e, m, n)[0] / gramSingularValues(w, m, n)[0] };
}

/** The smallest max error over one option per layer with total params within the budget (null if none fits), by walking every combination. */
function smallestMaxError(options: ReadonlyArray<ReadonlyArray<{ params: number; error: number }>>, budget: number): number | null {
  let best: number | null = null;
  const walk = (l: number, params: number, error: number): void => {
    if (params > budget) return;
    if (l === options.length) {
      best = best === null ? error : Math.min(best, error);
      return;
    }
    for (const o of options[l]) walk(l + 1, params + o.params, Math.max(error, o.error));
  };
  walk(0, 0, 0);
  return best;
}

/** The smallest max error over all rank combinations within the budget, groupings fixed (null if none fits). */
function bruteForceMinMax(layers: AldsLayer[], groups: number[], budget: number): number | null {
  return smallestMaxError(layers.map((layer, l) => {
    const rank = Math.min(layer.m / groups[l], layer.n);
    return Array.from({ length: rank }, (_, i) => referenceOption(layer, groups[l], i + 1));
  }), budget);
}

/** The smallest max error over every grouping (divisors of m) and every rank of every layer within the budget (null if none fits). */
function exhaustiveMinMax(layers: AldsLayer[], budget: number, memo: Map<string, { params: number; error: number }[]>): number | null {
  return smallestMaxError(layers.map((layer) => {
    const cached = memo.get(layer.name);
    if (cached) return cached;
    const all = channelDivisors(layer.m).flatMap((k) =>
      Array.from({ length: Math.min(layer.m / k, layer.n) }, (_, i) => referenceOption(layer, k, i + 1)),
    );
    memo.set(layer.name, all);
    return all;
  }), budget);
}

describe('aldsOptimize against an exhaustive search of groupings and ranks', () => {
  it('reaches the smallest max error at every budget of three tiny layers', () => {
    const memo = new Map<string, { params: number; error: number }[]>();
    const cache = new AldsSpectraCache(TINY);
    const denseTotal = 6 * 4 + 4 + 4 * 5 + 8 * 3 + 3;
    let checked = 0;
    let worse = 0;
    for (let budget = 0; budget <= denseTotal; budget++) {
      const expected = exhaustiveMinMax(TINY, budget, memo);
      if (expected === null) {
        expect(() => aldsOptimize(TINY, asParamCount(budget), { cache })).toThrow(BudgetTooSmallError);
        continue;
      }
      const got = aldsOptimize(TINY, asParamCount(budget), { cache });
      expect(got.totalParams).toBeLessThanOrEqual(budget);
      if (got.maxError > expected + 1e-10) worse++;
      expect(got.maxError).toBeGreaterThanOrEqual(expected - 1e-10);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
    expect(worse).toBe(0);
  });

  it('and of two layers with many groupings (12 rows: 1, 2, 3, 4, 6, 12 groups)', () => {
    const layers: AldsLayer[] = [
      { name: 'p', w: gaussianMatrix(12, 5, 21), m: 12, n: 5, hasBias: true },
      { name: 'q', w: matrixWithSpectrum(12, 6, [6, 3, 1, 0.5, 0.2, 0.1], 22), m: 12, n: 6, hasBias: false },
    ];
    const memo = new Map<string, { params: number; error: number }[]>();
    const cache = new AldsSpectraCache(layers);
    let checked = 0;
    for (let budget = 20; budget <= 12 * 5 + 5 + 12 * 6; budget += 3) {
      const expected = exhaustiveMinMax(layers, budget, memo);
      if (expected === null) continue;
      const got = aldsOptimize(layers, asParamCount(budget), { cache });
      expect(got.totalParams).toBeLessThanOrEqual(budget);
      expect(got.maxError).toBeCloseTo(expected, 10);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe('allocateRanksMinMax (global step)', () => {
  const cache = new AldsSpectraCache(TINY);
  const denseTotal = 6 * 4 + 4 + 4 * 5 + 8 * 3 + 3;

  it.each([
    [[1, 1, 1]],
    [[2, 1, 4]],
    [[3, 2, 2]],
  ])('with groups %j matches brute force at every budget and never exceeds it', (groups) => {
    let checked = 0;
    for (let budget = 0; budget <= denseTotal + 2; budget++) {
      const expected = bruteForceMinMax(TINY, groups, budget);
      if (expected === null) {
        expect(() => allocateRanksMinMax(TINY, asParamCount(budget), groups, { cache })).toThrow(BudgetTooSmallError);
        continue;
      }
      const got = allocateRanksMinMax(TINY, asParamCount(budget), groups, { cache });
      expect(got.totalParams).toBeLessThanOrEqual(budget);
      expect(got.maxError).toBeCloseTo(expected, 10);
      let total = 0;
      got.layers.forEach((choice, l) => {
        const j = choice.rank ?? Math.min(TINY[l].m / groups[l], TINY[l].n);
        const reference = referenceOption(TINY[l], groups[l], j);
        expect(choice.params).toBe(reference.params);
        expect(choice.error).toBeCloseTo(reference.error, 10);
        total += choice.params;
      });
      expect(got.totalParams).toBe(total);
      checked++;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('keeps every layer dense with error 0 when the budget allows the dense model', () => {
    const got = allocateRanksMinMax(TINY, asParamCount(denseTotal), [1, 1, 1], { cache });
    expect(got.maxError).toBe(0);
    expect(got.layers.map((c) => c.rank)).toEqual([null, null, null]);
  });

  it('throws BudgetTooSmallError with the smallest size when rank 1 everywhere does not fit', () => {
    // Rank 1, one group: (6 + 4) + 4, (4 + 5), (8 + 3) + 3 = 37.
    expect(() => allocateRanksMinMax(TINY, asParamCount(36), [1, 1, 1], { cache })).toThrow(BudgetTooSmallError);
    try {
      allocateRanksMinMax(TINY, asParamCount(36), [1, 1, 1], { cache });
    } catch (error) {
      expect(error).toMatchObject({ budget: 36, minimum: 37 });
    }
    expect(allocateRanksMinMax(TINY, asParamCount(37), [1, 1, 1], { cache }).totalParams).toBe(37);
  });

  it('rejects a group count that does not divide m, and a cache of other layers', () => {
    expect(() => allocateRanksMinMax(TINY, asParamCount(100), [5, 1, 1], { cache })).toThrow(RangeError);
    expect(() => allocateRanksMinMax([...TINY], asParamCount(100), [1, 1, 1], { cache })).toThrow(/cache/);
  });
});

// A 8 x 8 kernel whose two 4-row halves are rank 1 each (a b^T over c d^T): rank 2 as a
// whole, so one group at rank 1 loses s_2 / s_1 > 0, while two groups at rank 1 cost
// 1 (8 + 2 * 8) = 24 parameters and are exact.
function blockRankOne(): Float64Array {
  const w = new Float64Array(64);
  const [a, b, c, d] = [gaussianMatrix(4, 1, 1), gaussianMatrix(1, 8, 2), gaussianMatrix(4, 1, 3), gaussianMatrix(1, 8, 4)];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 8; j++) {
      w[i * 8 + j] = a[i] * b[j];
      w[(i + 4) * 8 + j] = c[i] * d[j];
    }
  }
  return w;
}

describe('aldsOptimize', () => {
  const model: AldsLayer[] = [
    { name: 'd1', w: matrixWithSpectrum(12, 8, [4, 3, 1, 0.5, 0.3, 0.2, 0.1, 0.05], 21), m: 12, n: 8, hasBias: true },
    { name: 'd2', w: gaussianMatrix(8, 6, 22), m: 8, n: 6, hasBias: true },
    { name: 'd3', w: gaussianMatrix(6, 4, 23), m: 6, n: 4, hasBias: false },
  ];
  const cache = new AldsSpectraCache(model);
  const minimum = 12 + 8 + 8 + (8 + 6 + 6) + (6 + 4);

  it('never exceeds the budget, and never loses to any single grouping', () => {
    for (let budget = minimum; budget <= 250; budget += 7) {
      const result = aldsOptimize(model, asParamCount(budget), { cache });
      expect(result.totalParams).toBeLessThanOrEqual(budget);
      expect(result.layers.reduce((sum, c) => sum + c.params, 0)).toBe(result.totalParams);
      for (const groups of [[1, 1, 1], [2, 2, 2], [4, 2, 1], [3, 4, 2]]) {
        let fixed;
        try {
          fixed = allocateRanksMinMax(model, asParamCount(budget), groups, { cache });
        } catch (err) {
          if (err instanceof BudgetTooSmallError) continue;
          throw err;
        }
        expect(result.maxError).toBeLessThanOrEqual(fixed.maxError);
      }
    }
  });

  it('is deterministic', () => {
    const first = aldsOptimize(model, asParamCount(120));
    const second = aldsOptimize(model, asParamCount(120), { cache: new AldsSpectraCache(model) });
    expect(second).toEqual(first);
  });

  it('finds a grouping that is exact where one group is not', () => {
    const layers: AldsLayer[] = [{ name: 'blocks', w: blockRankOne(), m: 8, n: 8, hasBias: false }];
    const plain = allocateRanksMinMax(layers, asParamCount(24), [1]);
    expect(plain.maxError).toBeGreaterThan(0.01);
    const result = aldsOptimize(layers, asParamCount(24));
    expect(result.maxError).toBeLessThan(1e-12);
    expect(result.layers[0]).toMatchObject({ groups: 2, rank: 1, params: 24 });
  });

  it('throws BudgetTooSmallError on an impossible budget, RangeError on bad options', () => {
    expect(() => aldsOptimize(model, asParamCount(minimum - 1), { cache })).toThrow(BudgetTooSmallError);
    expect(aldsOptimize(model, asParamCount(minimum), { cache }).totalParams).toBe(minimum);
    expect(() => aldsOptimize(model, asParamCount(100), { cache, maxGroupCounts: 0 })).toThrow(RangeError);
  });
});

describe('groupedProfile', () => {
  it('has non-increasing errors ending in 0, each computed once', () => {
    const layer: AldsLayer = { name: 'g', w: gaussianMatrix(12, 5, 40), m: 12, n: 5, hasBias: false };
    const sigma = gramSingularValues(Float64Array.from(layer.w), 12, 5)[0];
    for (const k of [1, 2, 3, 4, 6, 12]) {
      const profile = groupedProfile(layer, groupSvds(layer.w, 12, 5, k), sigma);
      const errors = Array.from({ length: profile.groupRank }, (_, i) => profile.errorAt(i + 1));
      expect(errors[errors.length - 1]).toBe(0);
      for (let j = 1; j < errors.length; j++) expect(errors[j]).toBeLessThanOrEqual(errors[j - 1]);
    }
  });
});
