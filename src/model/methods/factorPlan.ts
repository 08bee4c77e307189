import { asRank } from '../../core/units';
import type { ExportFactors } from '../exportModel';
import type { EvalResult } from '../evaluate';
import type { LabSession, ReplacementWeights } from '../session';
import type { LayerInfo } from '../labModel';
import { effectiveRank, layerGroups, planSize, type GroupPlan, type RankPlan } from '../plan';
import type { LayerFactors, MethodContext } from './context';
import { storedSize } from '../storedSize';
import { FACTOR_METHODS, type FactorMethodName } from './registry';

/**
 * The lab's one path from a rank plan to something scored: a plan (and
 * channel groups) under a factor method becomes a factored plan, the
 * weights the evaluator runs and the bytes the download stores. The slider,
 * sweeps, rank rules, the comparison, the CLI and the bench all go through
 * here.
 */

/** A plan turned into factors: what to score, what to download, what it stores. */
export interface FactoredPlan {
  plan?: RankPlan;
  /** Channel groups of the plan's layers (ALDS); absent means one group each. */
  groups?: GroupPlan;
  /** Replacement weights per layer (factors, or a dense kernel), scored instead of the plan's SVD slices. */
  kernels?: Map<string, ReplacementWeights>;
  /** Factors per layer where they differ from the plain SVD slices (every method but svd), for the download. */
  factors?: Map<string, ExportFactors>;
  bytes: number;
  detail: string;
}

/**
 * The factors of `method` at the ranks of `plan` (and, for grouped methods,
 * the channel `groups`); layers the plan leaves out, or would not shrink,
 * stay dense. Each layer's factors are computed once per context and
 * shared with other callers (ctx.work); aborting `signal` rejects with
 * CancelledError without cancelling work another caller still waits for.
 */
export async function factorPlan(ctx: MethodContext, method: FactorMethodName, plan: RankPlan, groups: GroupPlan = {}, signal?: AbortSignal): Promise<FactoredPlan> {
  const entry = FACTOR_METHODS[method];
  const grouping = entry.grouped ? groups : {};
  const size = planSize(ctx.session.layers, plan, grouping);
  const detail = describePlan(ctx, plan, grouping);
  // The ranks that take effect (capped to a group's size, dense layers left out), so export and scoring agree.
  const effective: RankPlan = Object.fromEntries(size.layers.filter((l) => l.rank !== null).map((l) => [l.name, l.rank!]));
  // The one size function (storedSize.ts): the chart's points, the table and the note read the same bytes.
  const bytes = storedSize(ctx.session.layers, plan, method, groups).bytes;
  if (!entry.factors) return { plan: effective, bytes, detail };
  const compute = entry.factors;
  const kernels = new Map<string, ReplacementWeights>();
  const factors = new Map<string, ExportFactors>();
  for (const [i, l] of ctx.session.layers.entries()) {
    const rank = size.layers[i].rank;
    if (rank === null || !l.factorizable) continue;
    const count = size.layers[i].groups;
    const layer: LayerFactors = await ctx.work.get(`${method}:${l.name}:${count}:${rank}`, (own) => compute(ctx, l, rank, count, own), { signal });
    kernels.set(l.name, { ...layer.scoring, bias: layer.export.bias });
    factors.set(l.name, layer.export);
  }
  return { kernels, factors, groups: entry.grouped ? grouping : undefined, plan: effective, bytes, detail };
}

/** Scores a factored plan: through the session's SVD slices for a plan alone, as replacement weights otherwise. */
export function scoreFactoredPlan(session: LabSession, point: FactoredPlan, signal?: AbortSignal): Promise<EvalResult> {
  return point.kernels ? session.evaluateKernels(point.kernels, signal) : session.evaluate(point.plan ?? {}, signal);
}

/** Rank k for every factorizable layer of the context, capped at each layer's rank limit. */
export function uniformPlan(layers: readonly LayerInfo[], k: number): RankPlan {
  return Object.fromEntries(layers.map((l) => [l.name, asRank(Math.min(k, l.rankLimit))]));
}

function describePlan(ctx: MethodContext, plan: RankPlan, groups: GroupPlan): string {
  return ctx.layers.map((l) => {
    const k = effectiveRank(l, plan, groups);
    const g = layerGroups(l, groups);
    return `${l.name}=${k === null ? 'dense' : g > 1 ? `${g} groups x ${k}` : k}`;
  }).join(' ');
}
