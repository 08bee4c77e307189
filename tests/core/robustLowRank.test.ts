import { describe, expect, it } from 'vitest';
import { rowResiduals, robustLowRankFactors, smoothedObjective } from '../../src/core/robustLowRank';
import { NonFiniteMatrixError } from '../../src/core/svd';
import { asRank, RankOutOfRangeError, type Rank } from '../../src/core/units';
import { frobeniusDistance, gaussianMatrix, matrixWithSpectrum, orthonormalityDefect, seededGaussian } from './reference';
import { multiply, projector, subspaceDistance } from './subspaceReference';

/**
 * The smoothed row cost written out independently of the code under test:
 * r^p above delta, the quadratic with the same value and slope at delta below.
 */
function rho(r: number, p: number, delta: number): number {
  if (r >= delta) return r ** p;
  return (p / 2) * delta ** (p - 2) * r * r + (1 - p / 2) * delta ** p;
}

/** Each step may lower the sequence or keep it, up to float64 noise. */
function expectNonIncreasing(values: Float64Array): void {
  for (let t = 1; t < values.length; t++) expect(values[t]).toBeLessThanOrEqual(values[t - 1] * (1 + 1e-12));
}

describe('robustLowRankFactors at p = 2 is the truncated SVD', () => {
  // 20 x 8 with a known spectrum, so the tail energy is known exactly.
  const spectrum = [8, 5, 3, 2, 1, 0.5, 0.25, 0.1];
  const w = matrixWithSpectrum(20, 8, spectrum, 4);
  const k = asRank(3);
  const result = robustLowRankFactors(w, [20, 8], k, { p: 2 });
  const tailEnergy = spectrum.slice(3).reduce((s, x) => s + x * x, 0);

  it('reports the tail energy sum_{i>k} s_i^2 as its objective, before and after', () => {
    expect(result.objective[0]).toBeCloseTo(tailEnergy, 10);
    expect(result.objective[result.objective.length - 1]).toBeCloseTo(tailEnergy, 10);
  });

  it('multiplies back to the rank-k truncation of W', () => {
    const product = multiply(result.a, result.b, 20, 3, 8);
    expect(Math.abs(frobeniusDistance(product, w) - Math.sqrt(tailEnergy))).toBeLessThan(1e-5);
  });
});

describe('robustLowRankFactors: the IRLS history', () => {
  const m = 30;
  const n = 12;
  const w = gaussianMatrix(m, n, 21);

  it.each([1, 1.25, 1.5, 1.75])('at p = %f never raises the smoothed objective', (p) => {
    const result = robustLowRankFactors(w, [m, n], asRank(3), { p, iterations: 40 });
    expectNonIncreasing(result.smoothedObjective);
    // The plain objective may rise by at most m (1 - p/2) delta^p per step.
    const slack = m * (1 - p / 2) * result.deltaAbsolute ** p;
    for (let t = 1; t < result.objective.length; t++) {
      expect(result.objective[t]).toBeLessThanOrEqual(result.objective[t - 1] * (1 + 1e-12) + slack);
    }
    expect(result.objective[result.objective.length - 1]).toBeLessThan(result.objective[0]);
  });

  it('with a wide smoothing band: the smoothed objective falls while the plain one rises', () => {
    // A case found by search: with delta = 0.3 ||W||_F many residuals sit
    // inside the band, and there r^p and rho(r) differ enough to show which
    // one the majorize-minimize argument controls.
    const wide = gaussianMatrix(12, 6, 180);
    const result = robustLowRankFactors(wide, [12, 6], asRank(2), { p: 1, delta: 0.3 });
    expectNonIncreasing(result.smoothedObjective);
    const rises = result.objective.slice(1).some((value, t) => value > result.objective[t] + 1e-3);
    expect(rises).toBe(true);
  });

  it('reports residual sums that match the returned subspace', () => {
    const p = 1.2;
    const result = robustLowRankFactors(w, [m, n], asRank(4), { p, delta: 0.05 });
    const last = result.objective.length - 1;
    const residuals = rowResiduals(w, m, n, result.basis, 4);
    let plain = 0;
    let smoothed = 0;
    for (const r of residuals) {
      plain += r ** p;
      smoothed += rho(r, p, result.deltaAbsolute);
    }
    expect(result.objective[last]).toBeCloseTo(plain, 10);
    expect(result.smoothedObjective[last]).toBeCloseTo(smoothed, 10);
    expect(smoothedObjective(residuals, p, result.deltaAbsolute)).toBeCloseTo(smoothed, 10);
  });

  it('calls onIteration with each step and its objectives', () => {
    const seen: number[][] = [];
    const result = robustLowRankFactors(w, [m, n], asRank(2), {
      p: 1,
      iterations: 5,
      onIteration: (step, objective, smoothed) => seen.push([step, objective, smoothed]),
    });
    expect(seen.map((s) => s[0])).toEqual(Array.from({ length: result.objective.length - 1 }, (_, i) => i + 1));
    for (const [step, objective, smoothed] of seen) {
      expect(objective).toBe(result.objective[step]);
      expect(smoothed).toBe(result.smoothedObjective[step]);
    }
  });

  it('returns an orthonormal basis with A B = W V V^T', () => {
    const k = 3;
    const result = robustLowRankFactors(w, [m, n], asRank(k), { p: 1 });
    expect(orthonormalityDefect(result.basis, n, k)).toBeLessThan(1e-12);
    const projected = multiply(w, projector(result.basis, n, k), m, n, n);
    expect(frobeniusDistance(multiply(result.a, result.b, m, k, n), projected)).toBeLessThan(1e-5);
  });
});

describe('robustLowRankFactors with outlier rows', () => {
  // 40 inlier rows in span(e0, e1) (plus 0.01 noise) and 4 large outlier
  // rows along 0.6 e1 + 0.8 e2: enough energy to tilt the SVD subspace.
  const n = 8;
  const inliers = 40;
  const m = inliers + 4;
  const next = seededGaussian(1);
  const w = new Float64Array(m * n);
  for (let i = 0; i < inliers; i++) {
    w[i * n] = 3 * next();
    w[i * n + 1] = 2 * next();
    for (let j = 0; j < n; j++) w[i * n + j] += 0.01 * next();
  }
  for (let i = inliers; i < m; i++) {
    const size = 5 * (1 + 0.2 * next());
    w[i * n + 1] = 0.6 * size;
    w[i * n + 2] = 0.8 * size;
    for (let j = 0; j < n; j++) w[i * n + j] += 0.05 * next();
  }
  const inlierBasis = new Float64Array(n * 2);
  inlierBasis[0] = 1; // e0
  inlierBasis[3] = 1; // e1 (row 1, column 1 of an n x 2 basis)
  const k: Rank = asRank(2);

  it('finds a subspace much closer to the inliers with p = 1 than the SVD does', () => {
    const svd = robustLowRankFactors(w, [m, n], k, { p: 2 });
    const l1 = robustLowRankFactors(w, [m, n], k, { p: 1 });
    const svdDistance = subspaceDistance(svd.basis, inlierBasis, n, 2);
    const l1Distance = subspaceDistance(l1.basis, inlierBasis, n, 2);
    expect(svdDistance).toBeGreaterThan(0.2);
    expect(l1Distance).toBeLessThan(0.05);
    expect(l1.objective[l1.objective.length - 1]).toBeLessThan(0.75 * l1.objective[0]);
  });
});

describe('robustLowRankFactors: arguments', () => {
  const w = gaussianMatrix(6, 5, 3);

  it('refuses p outside [1, 2], bad iteration counts and deltas', () => {
    for (const p of [0.5, 2.5, Number.NaN]) expect(() => robustLowRankFactors(w, [6, 5], asRank(2), { p })).toThrow(RangeError);
    expect(() => robustLowRankFactors(w, [6, 5], asRank(2), { p: 1, iterations: 0 })).toThrow(RangeError);
    expect(() => robustLowRankFactors(w, [6, 5], asRank(2), { p: 1, delta: 0 })).toThrow(RangeError);
  });

  it('refuses ranks outside 1..min(m, n) and kernels that do not fit the shape', () => {
    expect(() => robustLowRankFactors(w, [6, 5], asRank(6), { p: 1 })).toThrow(RankOutOfRangeError);
    expect(() => robustLowRankFactors(w, [6, 5], 0 as Rank, { p: 1 })).toThrow(RangeError);
    expect(() => robustLowRankFactors(w, [5, 5], asRank(2), { p: 1 })).toThrow(RangeError);
  });

  it('throws NonFiniteMatrixError on NaN and returns zero factors for a zero kernel', () => {
    const bad = Float64Array.from(w);
    bad[3] = Number.NaN;
    expect(() => robustLowRankFactors(bad, [6, 5], asRank(2), { p: 1 })).toThrow(NonFiniteMatrixError);
    const zero = robustLowRankFactors(new Float64Array(30), [6, 5], asRank(2), { p: 1 });
    expect(Array.from(zero.objective)).toEqual([0]);
    expect(zero.a.every((v) => v === 0) && zero.b.every((v) => v === 0)).toBe(true);
  });
});
