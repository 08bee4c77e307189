import { energyPlan } from '../../core/rankRules';
import type { RankRule } from './types';

/** Energy rule: each layer keeps the smallest rank whose singular values hold a share tau of its energy sum s_i^2. */
export const energyRule: RankRule = {
  hint: 'each layer keeps the smallest rank holding a share tau of its squared singular values',
  knob: { label: 'energy kept tau', value: 0.9, min: 0.01, max: 1, step: 0.01, search: { lo: 0.3, hi: 0.999, increasing: true } },
  compareValues: [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99],
  async outcome(ctx, tau) {
    const plan = energyPlan(ctx.layers.map((l) => ({ name: l.name, s: ctx.svds.get(l.name)!.s, m: l.kernelShape[0], n: l.kernelShape[1] })), tau);
    return { plan, groups: {}, detail: `${this.knob.label} ${tau}` };
  },
};
