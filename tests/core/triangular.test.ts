import { describe, expect, it } from 'vitest';
import { invertUpper } from '../../src/core/triangular';
import { mulberry32 } from '../../src/core/sampling';

/** R R^{-1} = I for random well-scaled upper triangles; dropped columns give zero rows and columns. */

function randomUpper(l: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const r = new Float64Array(l * l);
  for (let i = 0; i < l; i++) for (let j = i; j < l; j++) r[i * l + j] = i === j ? 1 + rng() : rng() - 0.5;
  return r;
}

describe('invertUpper', () => {
  it.each([1, 2, 7, 40])('inverts a random %i x %i upper triangle', (l) => {
    const r = randomUpper(l, l);
    const inv = invertUpper(r, l);
    let worst = 0;
    for (let i = 0; i < l; i++) {
      for (let j = 0; j < l; j++) {
        let s = 0;
        for (let k = 0; k < l; k++) s += r[i * l + k] * inv[k * l + j];
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        if (j < i) expect(inv[i * l + j]).toBe(0);
      }
    }
    expect(worst).toBeLessThan(1e-12);
  });

  it('leaves dropped columns zero', () => {
    const l = 4;
    const r = randomUpper(l, 9);
    for (let k = 0; k < l; k++) r[2 * l + k] = 0;
    const inv = invertUpper(r, l);
    for (let k = 0; k < l; k++) {
      expect(inv[2 * l + k]).toBe(0);
      expect(inv[k * l + 2]).toBe(0);
    }
    expect(Number.isFinite(inv.reduce((a, b) => a + b, 0))).toBe(true);
  });
});
