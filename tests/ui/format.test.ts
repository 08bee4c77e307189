import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src/ui/format';
import { seededUniform } from '../core/reference';

describe('formatCount', () => {
  it('writes integers as en-US toLocaleString does (the oracle), at every digit count and sign', () => {
    const rng = seededUniform(7);
    const cases = [0, 1, 999, 1000, 1001, 999_999, 1_000_000, Number.MAX_SAFE_INTEGER, -1, -1000, -Number.MAX_SAFE_INTEGER];
    for (let digits = 1; digits <= 16; digits++) {
      // "|| 0": a count is never -0, which toLocaleString writes as "-0".
      for (let i = 0; i < 20; i++) cases.push(Math.floor(rng() * 10 ** digits) * (rng() < 0.2 ? -1 : 1) || 0);
    }
    for (const n of cases) expect(formatCount(n), String(n)).toBe(n.toLocaleString('en-US'));
  });

  it('leaves fractions to toLocaleString', () => {
    expect(formatCount(1234.5)).toBe((1234.5).toLocaleString('en-US'));
  });
});
