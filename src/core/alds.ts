/**
 * ALDS model-wide allocation (Liebenwein et al., NeurIPS 2021): choose, for
 * every layer, a number of input-channel groups k and a per-group rank j so
 * that the whole model fits a parameter budget and the largest relative
 * spectral error over the layers is as small as possible (min-max).
 *
 * Two alternating steps, as in the paper: the global step fixes the k's and
 * chooses the j's optimally (a search over the achievable error levels); the
 * local step fixes each layer's share of the budget and picks the k that
 * loses least within it. Several starting k's are tried and the best result
 * kept (aldsOptimize.ts). The per-layer quantities are in aldsSpectra.ts.
 */
import {
  AldsSpectraCache,
  groupedOption,
  type AldsLayer,
  type GroupedOption,
  type GroupedProfile,
} from './aldsSpectra';
import { smallestRankWithin } from './rankRules';
import { asParamCount, asRank, asRelativeError, type ParamCount, type Rank, type RelativeError } from './units';

/**
 * Thrown when no allocation fits the budget: even rank 1 in every layer (at
 * the group counts asked for) stores more than `budget` parameters.
 * `minimum` is that smallest size.
 */
export class BudgetTooSmallError extends RangeError {
  readonly budget: number;
  readonly minimum: number;

  constructor(budget: number, minimum: number) {
    super(
      `A budget of ${budget} parameters is below the smallest model these layers allow (${minimum} parameters, ` +
        `rank 1 everywhere); raise the budget to at least ${minimum} or compress fewer layers.`,
    );
    this.name = 'BudgetTooSmallError';
    this.budget = budget;
    this.minimum = minimum;
  }
}

/** What ALDS chose for one layer. */
export interface AldsLayerChoice {
  readonly name: string;
  /** Number of input-channel groups k (a divisor of m). */
  readonly groups: number;
  /** The rank j of every group, or null when the layer is kept dense. */
  readonly rank: Rank | null;
  /** Stored parameters, bias included. */
  readonly params: ParamCount;
  /** eps(k, j), relative to s_1 of the layer's kernel; 0 when kept dense. */
  readonly error: RelativeError;
}

/** A complete allocation: one choice per layer, in the layers' order. */
export interface AldsAllocation {
  readonly layers: readonly AldsLayerChoice[];
  /** The largest per-layer error: what ALDS minimizes. */
  readonly maxError: RelativeError;
  /** Sum of the layers' parameters; never above the budget. */
  readonly totalParams: ParamCount;
}

/** Options shared by {@link allocateRanksMinMax} and {@link aldsOptimize}. */
export interface AldsCacheOption {
  /** Spectra computed earlier for the same `layers` array (e.g. by a previous budget). */
  readonly cache?: AldsSpectraCache;
}

function cacheFor(layers: readonly AldsLayer[], options: AldsCacheOption): AldsSpectraCache {
  const cache = options.cache ?? new AldsSpectraCache(layers);
  if (cache.layers !== layers) throw new RangeError('The spectra cache was built for a different layers array.');
  return cache;
}

/** Each layer at the smallest rank whose error is <= eps (errors are non-increasing in j). */
function allocateAtError(layers: readonly AldsLayer[], profiles: readonly GroupedProfile[], eps: number): AldsAllocation {
  const choices = profiles.map((profile, l): AldsLayerChoice => {
    const found = smallestRankWithin(profile.groupRank, (j) => groupedOption(profile, j).error, eps);
    // At j = groupRank the layer is always kept dense with error 0, so some rank is found.
    const j = found.rank ?? profile.groupRank;
    return choiceOf(layers[l].name, profile.groups, j, groupedOption(profile, j));
  });
  return summarize(choices);
}

function choiceOf(name: string, groups: number, j: number, option: GroupedOption): AldsLayerChoice {
  return { name, groups, rank: option.keptDense ? null : asRank(j), params: option.params, error: option.error };
}

function summarize(layers: readonly AldsLayerChoice[]): AldsAllocation {
  let maxError = 0;
  let total = 0;
  for (const choice of layers) {
    maxError = Math.max(maxError, choice.error);
    total += choice.params;
  }
  return { layers, maxError: asRelativeError(maxError), totalParams: asParamCount(total) };
}

/**
 * Global step of ALDS: with layer l cut into groups[l] groups, the ranks
 * that minimize the largest per-layer error subject to total parameters <=
 * `budget` (kernels and biases of these layers only; add other parameters
 * to the budget yourself). For an error level eps every layer takes its
 * smallest rank with error <= eps; the total is non-increasing in eps, so a
 * binary search over the sorted achievable errors finds the smallest level
 * that fits. That is optimal: any allocation within budget has its max
 * error among those levels, and at that level every layer is no larger.
 * Among optimal allocations this one is the smallest (leftover budget is
 * not spent). Computes the needed SVDs unless `options.cache` has them.
 * Throws {@link BudgetTooSmallError} when rank 1 everywhere does not fit,
 * RangeError when a group count does not divide its layer's m.
 */
export function allocateRanksMinMax(
  layers: readonly AldsLayer[],
  budget: ParamCount,
  groups: readonly number[],
  options: AldsCacheOption = {},
): AldsAllocation {
  asParamCount(budget);
  if (groups.length !== layers.length) {
    throw new RangeError(`Got ${groups.length} group counts for ${layers.length} layers.`);
  }
  const cache = cacheFor(layers, options);
  const profiles = groups.map((k, l) => cache.profile(l, k));
  const levels = new Set<number>();
  for (const profile of profiles) {
    for (let j = 1; j <= profile.groupRank; j++) levels.add(groupedOption(profile, j).error);
  }
  const sorted = [...levels].sort((a, b) => a - b);
  if (sorted.length === 0) return summarize([]);
  const smallest = allocateAtError(layers, profiles, sorted[sorted.length - 1]);
  if (smallest.totalParams > budget) throw new BudgetTooSmallError(budget, smallest.totalParams);
  // Invariant: the level at `hi` fits; every level below `lo` does not.
  let lo = 0;
  let hi = sorted.length - 1;
  let fitting = smallest;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const allocation = allocateAtError(layers, profiles, sorted[mid]);
    if (allocation.totalParams <= budget) {
      hi = mid;
      fitting = allocation;
    } else {
      lo = mid + 1;
    }
  }
  return fitting;
}
