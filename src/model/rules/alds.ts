import { asRank, type Rank } from '../../core/units';
import { LabInputError } from '../errors';
import type { AldsChoiceData, FactorJobs } from '../factorJobs';
import type { MethodContext } from '../methods/context';
import type { GroupPlan, RankPlan } from '../plan';
import type { RankRule } from './types';

/**
 * ALDS (Liebenwein et al., 2021) as a rank rule: under a budget that is a
 * share of the factorizable layers' parameters (kernels and biases), every
 * layer gets a number of input-channel groups k and a per-group rank j so
 * that the largest relative spectral error over the layers is smallest.
 * It implies its own factor method: grouped SVD ('alds').
 */

/**
 * The search in the lab tries every divisor of a layer's input channels (up
 * to 64 of them) as its group count; core aldsOptimize then finds the exact
 * min-max allocation of the true grouped error over all of them. The group
 * SVDs and the errors it solves for are shared by all budgets: the five
 * comparison budgets take 1.3 s on mlp-64 and 25 s on mlp-512 (in a worker),
 * against 0.5 s and 10.7 s when ALDS minimised the paper's lower bound.
 */
const ALDS_OPTIONS = { maxGroupCounts: 64 } as const;

/** The comparison's budgets, computed in one job (they share the group SVDs). */
const COMPARE_SHARES = [0.05, 0.1, 0.15, 0.25, 0.4] as const;

export const aldsRule: RankRule = {
  lossReason: 'ALDS minimises the largest relative spectral error of any layer, which need not follow accuracy at this budget without fine-tuning',
  hint: 'a budget, as a share of the parameters, split over layers and channel groups to keep the largest spectral error small',
  knob: { label: 'budget (share of parameters)', value: 0.25, min: 0.01, max: 1, step: 0.01, search: { lo: 0.01, hi: 0.6, increasing: true } },
  compareValues: COMPARE_SHARES,
  searchRange(ctx) {
    const { lo, hi, increasing } = this.knob.search;
    return { lo: Math.min(hi, Math.max(lo, smallestShare(ctx))), hi, increasing };
  },
  async outcome(ctx, share, signal) {
    const allocation = await aldsAllocation(ctx, share, signal);
    if (!allocation) {
      throw new LabInputError('rank', `An ALDS budget of ${(100 * share).toFixed(1)}% of the parameters is below this model's smallest configuration `
        + `(rank 1 everywhere, ${(100 * smallestShare(ctx)).toFixed(1)}%); raise it.`);
    }
    return {
      ...aldsPlan(allocation),
      method: 'alds',
      detail: `ALDS at ${(100 * share).toFixed(1)}%: ${allocation.layers.map((c) => `${c.name} k=${c.groups} j=${c.rank ?? 'dense'}`).join(', ')}; largest relative spectral error of the grouped factors (ALDS's measure) ${allocation.maxError.toFixed(2)}`,
    };
  },
};

/** An ALDS allocation as plain data (see factorJobs). */
export interface AldsAllocationData {
  budget: number;
  layers: AldsChoiceData[];
  maxError: number;
  totalParams: number;
}

/** The factorizable layers as ALDS sees them (kernel matrices and channel counts), in the model's order. */
export function aldsLayers(ctx: MethodContext): FactorJobs['alds']['input']['layers'] {
  // The session's own arrays: a worker receives a copy, the inline job only reads them.
  return ctx.layers.map((l) => ({ name: l.name, w: ctx.session.kernelWeights(l.name).kernel, m: l.kernelShape[0], n: l.kernelShape[1], hasBias: l.hasBias, channels: l.channels }));
}

/** The factorizable layers' parameters (kernels and biases), ALDS's 100%. */
function fullParams(ctx: MethodContext): number {
  return ctx.layers.reduce((s, l) => s + l.kernelShape[0] * l.kernelShape[1] + (l.hasBias ? l.kernelShape[1] : 0), 0);
}

/** The smallest budget share ALDS can meet on this model: rank 1 and one group in every layer, biases kept, plus one parameter of slack for rounding. */
export function smallestShare(ctx: MethodContext): number {
  const smallest = ctx.layers.reduce((s, l) => s + l.kernelShape[0] + l.kernelShape[1] + (l.hasBias ? l.kernelShape[1] : 0), 0);
  return (smallest + 1) / fullParams(ctx);
}

/**
 * ALDS's allocation for a budget of `share` of the factorizable layers'
 * parameters, or null when even rank 1 everywhere does not fit. The job
 * also computes `alsoShares` (they share the group SVDs); the result is
 * kept per context for the set of shares asked together (ctx.work, pinned).
 */
export async function aldsAllocation(ctx: MethodContext, share: number, signal?: AbortSignal, alsoShares: readonly number[] = []): Promise<AldsAllocationData | null> {
  const shares = [...new Set([share, ...alsoShares])].sort((a, b) => a - b);
  const full = fullParams(ctx);
  const result = await ctx.work.get(`alds:${shares.join(',')}`, (own) =>
    ctx.run('alds', { layers: aldsLayers(ctx), budgets: shares.map((s) => Math.floor(s * full)), options: ALDS_OPTIONS, cacheKey: ctx.id }, own), { pinned: true, signal });
  return result.allocations[shares.indexOf(share)];
}

/** ALDS's allocation as a plan and channel groups: the ranks j per layer (dense ones left out) and the groups k. */
export function aldsPlan(allocation: AldsAllocationData): { plan: RankPlan; groups: GroupPlan } {
  const plan: Record<string, Rank> = {};
  const groups: Record<string, number> = {};
  for (const c of allocation.layers) {
    if (c.rank === null) continue;
    plan[c.name] = asRank(c.rank);
    if (c.groups > 1) groups[c.name] = c.groups;
  }
  return { plan, groups };
}
