import { describe, expect, it } from 'vitest';
import {
  compressionRatio,
  denseParams,
  factorizedParams,
  float32Bytes,
  isKeptDense,
  largestShrinkingRank,
  layerParams,
  maxRank,
  summarizeModelSize,
  type LayerPlan,
} from '../../src/core/compression';
import {
  asBytes,
  asCompressionRatio,
  asParamCount,
  asRank,
  asRelativeError,
  RankOutOfRangeError,
} from '../../src/core/units';

describe('branded unit constructors', () => {
  it('accept valid values unchanged', () => {
    expect(asRank(1)).toBe(1);
    expect(asParamCount(0)).toBe(0);
    expect(asBytes(4096)).toBe(4096);
    expect(asCompressionRatio(0.5)).toBe(0.5);
    expect(asRelativeError(0)).toBe(0);
    expect(asRelativeError(1.5)).toBe(1.5);
  });

  it.each([0, -3, 1.5, Number.NaN, Infinity])('asRank rejects %s', (k) => {
    expect(() => asRank(k)).toThrow(RangeError);
  });

  it('reject negative, fractional or non-finite counts, ratios and errors', () => {
    expect(() => asParamCount(-1)).toThrow(RangeError);
    expect(() => asParamCount(2.5)).toThrow(RangeError);
    expect(() => asBytes(-4)).toThrow(RangeError);
    expect(() => asCompressionRatio(0)).toThrow(RangeError);
    expect(() => asCompressionRatio(Number.NaN)).toThrow(RangeError);
    expect(() => asCompressionRatio(Infinity)).toThrow(RangeError);
    expect(() => asRelativeError(-1e-9)).toThrow(RangeError);
    expect(() => asRelativeError(Number.NaN)).toThrow(RangeError);
  });
});

describe('kernel size arithmetic, worked examples', () => {
  // 784x64 MNIST input layer: mn = 50176, m + n = 848.
  it('counts dense and factorized parameters', () => {
    expect(maxRank(784, 64)).toBe(64);
    expect(maxRank(10, 256)).toBe(10);
    expect(denseParams(784, 64, false)).toBe(50176);
    expect(denseParams(784, 64, true)).toBe(50240);
    expect(factorizedParams(784, 64, asRank(16), false)).toBe(13568);
    expect(factorizedParams(784, 64, asRank(16), true)).toBe(13632);
  });

  it('computes the kernel-only ratio mn / (k(m+n))', () => {
    expect(compressionRatio(784, 64, asRank(16))).toBeCloseTo(50176 / 13568, 14);
    expect(compressionRatio(784, 64, asRank(16))).toBeCloseTo(3.69811320754717, 12);
    expect(compressionRatio(4, 4, asRank(2))).toBe(1);
    expect(compressionRatio(784, 64, asRank(64))).toBeCloseTo(50176 / 54272, 14);
  });

  it('keeps a layer dense exactly from k(m+n) = mn upwards', () => {
    // 4x4: k = 2 gives 16 = 16, the boundary itself counts as kept dense.
    expect(isKeptDense(4, 4, asRank(1))).toBe(false);
    expect(isKeptDense(4, 4, asRank(2))).toBe(true);
    // 3x6: 2 * 9 = 18 = mn.
    expect(isKeptDense(3, 6, asRank(1))).toBe(false);
    expect(isKeptDense(3, 6, asRank(2))).toBe(true);
    // 784x64: 59 * 848 = 50032 < 50176 <= 60 * 848 = 50880.
    expect(isKeptDense(784, 64, asRank(59))).toBe(false);
    expect(isKeptDense(784, 64, asRank(60))).toBe(true);
    expect(isKeptDense(784, 64, asRank(64))).toBe(true);
  });

  it('finds the largest rank that still shrinks the kernel', () => {
    expect(largestShrinkingRank(784, 64)).toBe(59);
    expect(largestShrinkingRank(4, 4)).toBe(1);
    expect(largestShrinkingRank(3, 6)).toBe(1);
    expect(largestShrinkingRank(2, 2)).toBeNull();
    expect(largestShrinkingRank(1, 10)).toBeNull();
    expect(largestShrinkingRank(0, 0)).toBeNull();
  });

  it('stores the smaller of the two forms', () => {
    expect(layerParams(784, 64, asRank(59), true)).toBe(59 * 848 + 64);
    expect(layerParams(784, 64, asRank(60), true)).toBe(50240);
    expect(layerParams(784, 64, null, false)).toBe(50176);
    expect(float32Bytes(asParamCount(1000))).toBe(4000);
  });

  it('rejects ranks above min(m, n) and bad shapes', () => {
    expect(() => factorizedParams(784, 64, asRank(65), false)).toThrow(RankOutOfRangeError);
    expect(() => compressionRatio(10, 20, asRank(11))).toThrow(RangeError);
    expect(() => isKeptDense(10, 20, asRank(11))).toThrow(RankOutOfRangeError);
    expect(() => denseParams(-1, 3, false)).toThrow(RangeError);
    expect(() => denseParams(2.5, 3, false)).toThrow(RangeError);
    expect(() => maxRank(0, 3)).toThrow(RangeError);
  });
});

describe('summarizeModelSize', () => {
  // MNIST MLP 784-512-256-10 with a BatchNormalization(256) between layers.
  const plan: LayerPlan[] = [
    { m: 784, n: 512, hasBias: true, rank: asRank(64), otherParams: 0 },
    { m: 512, n: 256, hasBias: true, rank: asRank(32), otherParams: 0 },
    { m: 0, n: 0, hasBias: false, rank: null, otherParams: 4 * 256 },
    // Full rank 10 of a 256x10 kernel: 10 * 266 = 2660 >= 2560, kept dense.
    { m: 256, n: 10, hasBias: true, rank: asRank(10), otherParams: 0 },
  ];

  it('adds up a worked MLP plan', () => {
    const summary = summarizeModelSize(plan);
    // Dense: 401920 + 131328 + 1024 + 2570; factorized: 83456 + 24832 + 1024 + 2570.
    expect(summary.originalParams).toBe(536842);
    expect(summary.compressedParams).toBe(111882);
    expect(summary.originalBytes).toBe(4 * 536842);
    expect(summary.compressedBytes).toBe(4 * 111882);
    expect(summary.ratio).toBeCloseTo(536842 / 111882, 14);
    expect(summary.factorizedLayers).toBe(2);
    expect(summary.layers.map((l) => l.factorized)).toEqual([true, true, false, false]);
    expect(summary.layers.map((l) => l.compressedParams)).toEqual([83456, 24832, 1024, 2570]);
  });

  it('counts channel groups as k(m + g n) and keeps them dense from k(m + g n) >= mn', () => {
    // 784x64 in 4 groups of 196 rows at rank 8: 8 * (784 + 4 * 64) = 8320.
    expect(factorizedParams(784, 64, asRank(8), false, 4)).toBe(8320);
    expect(factorizedParams(784, 64, asRank(8), true, 4)).toBe(8384);
    expect(compressionRatio(784, 64, asRank(8), 4)).toBeCloseTo(50176 / 8320, 14);
    // 8x8 in 2 groups: k(8 + 16) < 64 for k = 2, = 72 for k = 3.
    expect(isKeptDense(8, 8, asRank(2), 2)).toBe(false);
    expect(isKeptDense(8, 8, asRank(3), 2)).toBe(true);
    // A group's factors are (m / g) x k: k above m / g is out of range; g must divide m.
    expect(() => factorizedParams(8, 8, asRank(5), false, 2)).toThrow(RankOutOfRangeError);
    expect(() => factorizedParams(8, 8, asRank(1), false, 3)).toThrow(RangeError);
    const summary = summarizeModelSize([{ m: 784, n: 64, hasBias: true, rank: asRank(8), otherParams: 0, groups: 4 }]);
    expect(summary.compressedParams).toBe(8384);
  });

  it('gives ratio 1 and zero sizes for an empty plan', () => {
    const summary = summarizeModelSize([]);
    expect([summary.originalParams, summary.compressedParams, summary.ratio]).toEqual([0, 0, 1]);
  });

  it('rejects a negative otherParams and a rank on a kernel-free entry', () => {
    expect(() => summarizeModelSize([{ m: 4, n: 4, hasBias: false, rank: null, otherParams: -1 }])).toThrow(
      RangeError,
    );
    expect(() => summarizeModelSize([{ m: 0, n: 0, hasBias: false, rank: asRank(1), otherParams: 3 }])).toThrow(
      RankOutOfRangeError,
    );
  });
});
