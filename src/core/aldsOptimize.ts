/**
 * The full ALDS search: alternate the global step (ranks for fixed group
 * counts, alds.ts) with the local step (group counts for fixed per-layer
 * budgets), from several starting group counts, and keep the best. Every
 * step keeps the model within the budget, and within one start the largest
 * error never grows: the local step only moves a layer to a grouping that
 * loses no more within its share, and the global step is optimal for the
 * groupings it is given, which include that allocation.
 */
import { allocateRanksMinMax, BudgetTooSmallError, type AldsAllocation, type AldsCacheOption } from './alds';
import { AldsSpectraCache, channelDivisors, groupedOption, MAX_GROUP_COUNTS_TRIED, type AldsLayer } from './aldsSpectra';
import { mulberry32 } from './sampling';
import { asParamCount, type ParamCount, type RelativeError } from './units';

/** Options of {@link aldsOptimize}. */
export interface AldsOptions extends AldsCacheOption {
  /** Local + global rounds after the first global step, per start; default 4. */
  readonly iterations?: number;
  /** Starts with group counts drawn at random from each layer's divisors; default 4. */
  readonly randomStarts?: number;
  /** Seed of those draws (mulberry32); the same seed gives the same result. Default 1. */
  readonly seed?: number;
  /** Group counts tried per layer: the smallest divisors of m, at most this many; default 16. */
  readonly maxGroupCounts?: number;
}

/** One global step as recorded in {@link AldsResult.history}. */
export interface AldsStep {
  /** Which start it belongs to: "k=1", "k=2", ..., "random 1", .... */
  readonly start: string;
  /** 0 for the start's first global step, then 1, 2, ... after each local step. */
  readonly iteration: number;
  readonly groups: readonly number[];
  readonly maxError: RelativeError;
  readonly totalParams: ParamCount;
}

/** Result of {@link aldsOptimize}: the best allocation, the start it came from, and every step. */
export interface AldsResult extends AldsAllocation {
  readonly start: string;
  readonly history: readonly AldsStep[];
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}.`);
}

/**
 * Starting group counts: 1 everywhere; then 2, 4, 8, ... in every layer
 * where that count is among its tried divisors (1 elsewhere); then random
 * divisors. Duplicates are dropped.
 */
function startingGroups(divisors: readonly number[][], randomStarts: number, seed: number): { label: string; groups: number[] }[] {
  const starts = [{ label: 'k=1', groups: divisors.map(() => 1) }];
  for (let k = 2; divisors.some((d) => d.includes(k)); k *= 2) {
    starts.push({ label: `k=${k}`, groups: divisors.map((d) => (d.includes(k) ? k : 1)) });
  }
  const rng = mulberry32(seed);
  for (let i = 1; i <= randomStarts; i++) {
    starts.push({ label: `random ${i}`, groups: divisors.map((d) => d[Math.min(d.length - 1, Math.floor(rng() * d.length))]) });
  }
  const seen = new Set<string>();
  return starts.filter(({ groups }) => {
    const key = groups.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Local step: each layer in turn may spend its current parameters plus the
 * budget the model leaves unused (taken in layer order, so the total stays
 * within budget) at the largest rank that fits, in each tried grouping; it
 * moves to the grouping with the smallest error (ties: fewer parameters,
 * then the current grouping). Returns the new group counts.
 */
function localStep(cache: AldsSpectraCache, allocation: AldsAllocation, budget: number, divisors: readonly number[][]): number[] {
  // The paper holds each layer to its share of the budget; the unused
  // remainder (the global step leaves some, ranks being integers) is handed
  // on so that a grouping slightly dearer at rank 1 can still be reached.
  let unused = budget - allocation.totalParams;
  return allocation.layers.map((current, l) => {
    const allowance = current.params + unused;
    let best = { groups: current.groups, error: current.error as number, params: current.params as number };
    for (const k of divisors[l]) {
      const profile = cache.profile(l, k);
      // Parameters are non-decreasing in j, so the affordable ranks are a prefix.
      let option = null;
      for (let j = 1; j <= profile.groupRank; j++) {
        const next = groupedOption(profile, j);
        if (next.params > allowance) break;
        option = next;
      }
      if (option === null) continue;
      if (option.error < best.error || (option.error === best.error && option.params < best.params)) {
        best = { groups: k, error: option.error, params: option.params };
      }
    }
    unused -= best.params - current.params;
    return best.groups;
  });
}

/**
 * ALDS (Liebenwein et al., NeurIPS 2021) over `layers`: group counts k_l
 * (divisors of m_l, at most `maxGroupCounts` smallest) and per-group ranks
 * j_l minimizing the largest relative spectral error eps_l(k_l, j_l) with
 * total parameters (kernels and biases of these layers) <= `budget`. From
 * each start it runs the global step, then up to `iterations` rounds of
 * local + global step (stopping early once the groupings repeat), and
 * returns the allocation with the smallest max error (ties: fewer
 * parameters), never above the budget. A start whose groupings cannot fit
 * the budget even at rank 1 is skipped. Deterministic for a given `seed`.
 * Cost: the SVDs of every tried grouping of every layer, cached in
 * `options.cache` (pass one to reuse them across budgets). Throws
 * {@link BudgetTooSmallError} when rank 1 with one group everywhere (the
 * smallest model possible) does not fit, RangeError on bad options.
 */
export function aldsOptimize(layers: readonly AldsLayer[], budget: ParamCount, options: AldsOptions = {}): AldsResult {
  const { iterations = 4, randomStarts = 4, seed = 1, maxGroupCounts = MAX_GROUP_COUNTS_TRIED } = options;
  checkCount('iterations', iterations, 0);
  checkCount('randomStarts', randomStarts, 0);
  checkCount('maxGroupCounts', maxGroupCounts, 1);
  asParamCount(budget);
  const cache = options.cache ?? new AldsSpectraCache(layers);
  const divisors = layers.map((layer) => channelDivisors(layer.channels ?? layer.m, maxGroupCounts));
  const history: AldsStep[] = [];
  let best: AldsResult | null = null;

  for (const { label, groups: initial } of startingGroups(divisors, randomStarts, seed)) {
    let groups = initial;
    let allocation: AldsAllocation;
    try {
      allocation = allocateRanksMinMax(layers, budget, groups, { cache });
    } catch (error) {
      // One group per layer is the cheapest grouping: if it cannot fit, nothing can.
      if (error instanceof BudgetTooSmallError && label !== 'k=1') continue;
      throw error;
    }
    for (let iteration = 0; ; iteration++) {
      history.push({ start: label, iteration, groups, maxError: allocation.maxError, totalParams: allocation.totalParams });
      const better =
        best === null ||
        allocation.maxError < best.maxError ||
        (allocation.maxError === best.maxError && allocation.totalParams < best.totalParams);
      if (better) best = { ...allocation, start: label, history };
      if (iteration === iterations) break;
      const next = localStep(cache, allocation, budget, divisors);
      if (next.every((k, l) => k === groups[l])) break;
      groups = next;
      allocation = allocateRanksMinMax(layers, budget, groups, { cache });
    }
  }
  // The k=1 start either succeeds or throws, so best is set.
  return { ...(best as AldsResult), history };
}
