import { describe, expect, it } from 'vitest';
import { blockLayout, dispatchesPerSweeps, pairTable, roundRobinRounds } from '../../src/core/jacobiSchedule';

/** The block Jacobi schedule: every pair once per sweep, disjoint within a round. */

describe('roundRobinRounds', () => {
  it.each([2, 4, 6, 32, 64])('meets every pair of %i players exactly once, disjoint per round', (count) => {
    const rounds = roundRobinRounds(count);
    expect(rounds).toHaveLength(count - 1);
    const met = new Set<string>();
    for (const pairs of rounds) {
      expect(pairs).toHaveLength(count / 2);
      const seen = new Set<number>();
      for (const [a, b] of pairs) {
        expect(a).toBeLessThan(b);
        expect(seen.has(a) || seen.has(b)).toBe(false);
        seen.add(a);
        seen.add(b);
        met.add(`${a},${b}`);
      }
    }
    expect(met.size).toBe((count * (count - 1)) / 2);
  });

  it.each([0, 1, 3, 7.5])('refuses %j players', (count) => {
    expect(() => roundRobinRounds(count)).toThrow(RangeError);
  });
});

describe('blockLayout', () => {
  it('pads to an even number of blocks', () => {
    expect(blockLayout(64, 16)).toEqual({ blockSize: 16, blocks: 4, paddedColumns: 64, rounds: 3, pairsPerRound: 2 });
    expect(blockLayout(48, 16)).toMatchObject({ blocks: 4, paddedColumns: 64 });
    expect(blockLayout(1, 16)).toMatchObject({ blocks: 2, paddedColumns: 32, rounds: 1, pairsPerRound: 1 });
    expect(blockLayout(1024, 16)).toMatchObject({ blocks: 64, rounds: 63, pairsPerRound: 32 });
  });

  it('counts dispatches: ~14 sweeps of a 1024-column matrix in blocks of 16 is under 900', () => {
    expect(dispatchesPerSweeps(blockLayout(1024, 16), 14)).toBe(14 * 64);
    expect(dispatchesPerSweeps(blockLayout(1024, 16), 14)).toBeLessThan(900);
  });

  it('lays the pair table out round by round', () => {
    const layout = blockLayout(64, 16);
    const table = pairTable(layout);
    expect(table.length).toBe(3 * 2 * 2);
    const rounds = roundRobinRounds(4);
    expect(Array.from(table)).toEqual(rounds.flat(2));
  });
});
