import type { Rank } from '../../core/units';
import { outputErrorCurveOf, outputErrorRule } from '../../core/rankRules';
import type { FactorizableLayer } from '../labModel';
import type { MethodContext } from '../methods/context';
import type { RankRule } from './types';

/**
 * Output-error rule: each layer takes the smallest shrinking rank whose
 * relative output error ||X W_k - X W||_F / ||X W||_F on its calibration
 * inputs is at most eps (core outputErrorCurve, which also charges a
 * top-k SVD for the directions it never computed).
 */
export const outputErrorRuleEntry: RankRule = {
  hint: 'each layer takes the smallest rank whose relative output error on the calibration images is at most eps',
  knob: { label: 'relative output error eps', value: 0.2, min: 0.01, max: 2, step: 0.01, search: { lo: 0.01, hi: 0.9, increasing: false } },
  compareValues: [0.8, 0.6, 0.4, 0.3, 0.2, 0.1, 0.05],
  async outcome(ctx, eps, signal) {
    const plan: Record<string, Rank> = {};
    for (const l of ctx.layers) {
      const curve = await layerCurve(ctx, l, signal);
      const d = outputErrorRule(l.kernelShape[0], l.kernelShape[1], curve, eps, { maxRank: ctx.svds.get(l.name)!.r });
      if (!d.keptDense) plan[l.name] = d.rank;
    }
    return { plan, groups: {}, detail: `${this.knob.label} ${eps}` };
  },
};

/**
 * The layer's output-error curve on the calibration inputs, computed once
 * per context (pinned: it does not depend on eps). The table costs
 * O(N m n) (about a second for mlp-512's fc1), so it runs through ctx.run:
 * a worker in the browser, off the page's thread.
 */
async function layerCurve(ctx: MethodContext, l: FactorizableLayer, signal?: AbortSignal): Promise<(k: Rank) => number> {
  const svd = ctx.svds.get(l.name)!;
  const table = await ctx.work.get(`output-error:${l.name}`, (own) =>
    ctx.run('output-error', { x: ctx.calibration.get(l.name)!.x, kernel: ctx.session.kernelWeights(l.name).kernel, svd }, own), { pinned: true, signal });
  return outputErrorCurveOf(table, `the ${svd.m}x${svd.n} kernel's SVD`);
}
