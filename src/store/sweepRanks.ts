import { asRank, type Rank } from '../core/units';
import { largestShrinkingRank, maxRank } from '../core/compression';

/**
 * Which ranks a sweep visits for an m x n kernel: every rank up to 64, and
 * about 48 roughly geometric ranks beyond that, always including the largest
 * rank that still shrinks the layer and the full rank (the dense layer), so
 * the curve reaches the original model's accuracy. A kernel decomposed by a
 * top-k SVD is swept up to `limit` (its k) only.
 */
export function sweepRanks(m: number, n: number, limit: number = maxRank(m, n), budget = 48): Rank[] {
  const top = Math.min(limit, maxRank(m, n));
  const ranks = new Set<number>();
  if (top <= 64) {
    for (let k = 1; k <= top; k++) ranks.add(k);
  } else {
    for (let k = 1; k <= 16; k++) ranks.add(k);
    const steps = budget - 16;
    for (let i = 0; i <= steps; i++) ranks.add(Math.round(16 * Math.pow(top / 16, i / steps)));
  }
  const shrinking = largestShrinkingRank(m, n);
  if (shrinking !== null && shrinking <= top) ranks.add(shrinking);
  ranks.add(top);
  return [...ranks].filter((k) => k >= 1 && k <= top).sort((a, b) => a - b).map(asRank);
}
