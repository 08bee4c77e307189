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
  channelDivisors,
  groupedOption,
  groupedParams,
  MAX_GROUP_COUNTS_TRIED,
  type AldsLayer,
  type GroupedOption,
  type GroupedProfile,
} from './aldsSpectra';
import type { ErrorMeasure } from './groupedError';
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

/**
 * A layer's cheapest option with error <= eps over the groupings it is
 * offered: in each, the smallest such rank (errors are non-increasing in j,
 * and at groupRank the layer is kept dense with error 0, so one exists),
 * found by bisection on errorWithin, which computes an error only where its
 * bounds cannot decide. Ties in parameters go to the grouping offered first.
 */
function cheapestWithin(profiles: readonly GroupedProfile[], eps: number, measure: ErrorMeasure = 'exact'): { profile: GroupedProfile; j: number; params: number } {
  let best: { profile: GroupedProfile; j: number; params: number } | null = null;
  for (const profile of profiles) {
    let lo = 1;
    let hi = profile.groupRank;
    // Invariant: hi meets eps; every rank below lo does not.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (groupedParams(profile, mid).keptDense || profile.errorWithin(mid, eps, measure)) hi = mid;
      else lo = mid + 1;
    }
    const params = groupedParams(profile, hi).params;
    if (best === null || params < best.params) best = { profile, j: hi, params };
  }
  return best as { profile: GroupedProfile; j: number; params: number };
}

/** The total parameters when every layer takes its cheapest option with error (or its bound: `measure`) <= eps. */
function totalWithin(offered: readonly (readonly GroupedProfile[])[], eps: number, measure: ErrorMeasure = 'exact'): number {
  return offered.reduce((sum, profiles) => sum + cheapestWithin(profiles, eps, measure).params, 0);
}

/**
 * The smallest level (as bits) in (lo, hi] at which the total fits, by
 * bisection until lo and hi are adjacent doubles; hi must fit.
 */
function smallestFittingLevel(offered: readonly (readonly GroupedProfile[])[], budget: number, lo: bigint, hi: bigint, measure: ErrorMeasure): bigint {
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (totalWithin(offered, valueOf(mid), measure) <= budget) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Every layer at its cheapest option with error <= eps, with the errors of the options chosen. */
function allocationWithin(layers: readonly AldsLayer[], offered: readonly (readonly GroupedProfile[])[], eps: number): AldsAllocation {
  return summarize(
    offered.map((profiles, l) => {
      const { profile, j } = cheapestWithin(profiles, eps);
      return choiceOf(layers[l].name, profile.groups, j, groupedOption(profile, j));
    }),
  );
}

/**
 * The min-max allocation when layer l may take any grouping in offered[l]:
 * for an error level eps every layer takes its cheapest option with error
 * <= eps, and the total is non-increasing in eps. A bisection over the
 * doubles in [0, 2] (by their bit patterns, which order non-negative doubles
 * as their values) ends with two adjacent doubles, the upper one fitting the
 * budget and the lower one not; the allocation at the upper one is then
 * optimal: its max error is an achievable level no larger than any
 * allocation within budget can reach, and at that level every layer is no
 * larger. Among optimal allocations it is the smallest (leftover budget is
 * not spent). Bisecting levels instead of listing them means a rank's error
 * is computed only where a search asks for it (errors are at most 1:
 * E^T E <= W^T W). Throws {@link BudgetTooSmallError} when the cheapest
 * options do not fit.
 */
function minMaxAllocation(layers: readonly AldsLayer[], budget: ParamCount, offered: readonly (readonly GroupedProfile[])[]): AldsAllocation {
  if (offered.length === 0) return summarize([]);
  const smallest = totalWithin(offered, 2);
  if (smallest > budget) throw new BudgetTooSmallError(budget, smallest);
  if (totalWithin(offered, 0) <= budget) return allocationWithin(layers, offered, 0);
  // The level sought lies between the levels the two bounds would give (a smaller error never costs more):
  // found first without a single solve, they narrow the search with solves to a band around it.
  const zero = bitsOf(0);
  const atLower = smallestFittingLevel(offered, budget, zero, bitsOf(2), 'lower');
  const atUpper = smallestFittingLevel(offered, budget, zero, bitsOf(2), 'upper');
  const level = smallestFittingLevel(offered, budget, atLower - 1n, atUpper, 'exact');
  return allocationWithin(layers, offered, valueOf(level));
}

const bitView = new DataView(new ArrayBuffer(8));

/** The bit pattern of a non-negative double: ordered as the values are. */
function bitsOf(value: number): bigint {
  bitView.setFloat64(0, value);
  return bitView.getBigUint64(0);
}

function valueOf(bits: bigint): number {
  bitView.setBigUint64(0, bits);
  return bitView.getFloat64(0);
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
 * to the budget yourself): the level search of minMaxAllocation with one
 * grouping offered per layer, so optimal, and among optimal allocations the
 * smallest. Computes the needed SVDs unless `options.cache` has them.
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
  return minMaxAllocation(layers, budget, groups.map((k, l) => [cache.profile(l, k)]));
}

/**
 * ALDS (Liebenwein et al., NeurIPS 2021) over `layers`: group counts k_l
 * (divisors of the layer's channels, at most `maxGroupCounts` smallest) and
 * per-group ranks j_l minimizing the largest relative spectral error
 * eps_l(k_l, j_l) (the true grouped error, see aldsSpectra.ts) with total
 * parameters (kernels and biases of these layers) <= `budget`. The paper
 * alternates a global step (ranks for fixed groupings) with a local one
 * (groupings for fixed per-layer budgets), which can stop short of the
 * optimum (an exhaustive search on three tiny layers found a smaller max
 * error at 8 of 39 budgets); with the min-max objective the layers only
 * interact through the budget, so the same level search run over every
 * (grouping, rank) option of every layer at once is exact, and costs no
 * more SVDs (the local step tried every grouping too). Cost: the SVDs of
 * every tried grouping of every layer, cached in `options.cache` (pass one
 * to reuse them across budgets). Throws {@link BudgetTooSmallError} when no
 * option fits, RangeError on bad options.
 */
export function aldsOptimize(layers: readonly AldsLayer[], budget: ParamCount, options: AldsOptions = {}): AldsAllocation {
  const { maxGroupCounts = MAX_GROUP_COUNTS_TRIED } = options;
  if (!Number.isSafeInteger(maxGroupCounts) || maxGroupCounts < 1) throw new RangeError(`maxGroupCounts must be an integer >= 1, got ${maxGroupCounts}.`);
  asParamCount(budget);
  const cache = cacheFor(layers, options);
  const offered = layers.map((layer, l) => channelDivisors(layer.channels ?? layer.m, maxGroupCounts).map((k) => cache.profile(l, k)));
  return minMaxAllocation(layers, budget, offered);
}

/** Options of {@link aldsOptimize}. */
export interface AldsOptions extends AldsCacheOption {
  /** Group counts tried per layer: the smallest divisors of its channels, at most this many; default 16. */
  readonly maxGroupCounts?: number;
}
