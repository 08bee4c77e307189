import { searchKnob, type KnobSearchResult } from '../core/knobSearch';
import { LabInputError } from './errors';
import { aldsAllocation, aldsPlan, methodPoint, rulePlan, type CompareContext, type FactorMethodName } from './compareMethods';
import type { GroupPlan, RankPlan } from './plan';

/**
 * Rank rules as one interface for the lab and the CLI: a rule and its knob
 * value become ranks (and, for ALDS, channel groups and its grouped-SVD
 * factor method). The target rule searches another rule's knob for the
 * smallest model that reaches an accuracy on the calibration images
 * (training set), never the test set.
 */

/** Rules a user can apply: energy tau, output-error eps, ALDS budget share, target accuracy. */
export const RULES = ['energy', 'output-error', 'alds', 'target'] as const;
export type RuleName = (typeof RULES)[number];
/** The rules whose knob the target rule can search. */
export type KnobRule = Exclude<RuleName, 'target'>;

/** What applying a rule sets: ranks, channel groups, and the factor method it implies (ALDS: its own). */
export interface RuleOutcome {
  plan: RankPlan;
  groups: GroupPlan;
  method?: FactorMethodName;
  /** A line for the UI and the CLI, e.g. the chosen (k, j) per layer or the search's result. */
  detail: string;
}

/** Each knob rule's search range and direction: larger tau or budget, smaller eps, gives a larger model. */
const KNOB_RANGES: Record<KnobRule, { lo: number; hi: number; increasing: boolean; label: string }> = {
  energy: { lo: 0.3, hi: 0.999, increasing: true, label: 'energy tau' },
  'output-error': { lo: 0.01, hi: 0.9, increasing: false, label: 'output-error eps' },
  alds: { lo: 0.01, hi: 0.6, increasing: true, label: 'ALDS budget share' },
};

/**
 * The ranks a knob rule picks at `value`: tau in (0, 1] for energy, eps > 0
 * for output-error, a share in (0, 1] of the factorizable layers'
 * parameters for ALDS. Throws LabInputError for a value out of range or an
 * ALDS budget below the smallest model; CancelledError when `signal` aborts.
 */
export async function knobRuleOutcome(ctx: CompareContext, rule: KnobRule, value: number, signal?: AbortSignal): Promise<RuleOutcome> {
  if (!Number.isFinite(value) || value <= 0 || (rule !== 'output-error' && value > 1)) {
    throw new LabInputError('rank', `The ${rule} rule takes a value in (0, 1]${rule === 'output-error' ? ' or above' : ''}, got ${value}.`);
  }
  if (rule !== 'alds') return { plan: rulePlan(ctx, rule, value), groups: {}, detail: `${KNOB_RANGES[rule].label} ${value}` };
  const allocation = await aldsAllocation(ctx, value, signal);
  if (!allocation) throw new LabInputError('rank', `An ALDS budget of ${(100 * value).toFixed(1)}% of the parameters is below the smallest model (rank 1 everywhere); raise it.`);
  return {
    ...aldsPlan(allocation),
    method: 'alds',
    detail: `ALDS at ${(100 * value).toFixed(1)}%: ${allocation.layers.map((c) => `${c.name} k=${c.groups} j=${c.rank ?? 'dense'}`).join(', ')}`,
  };
}

/**
 * The smallest model whose accuracy on the calibration images reaches
 * `target` (a fraction), searching the knob of `base` by bisection (8
 * steps) with factors of `method` (ALDS uses its own). Returns the outcome
 * and the search; when no knob reaches the target, the most accurate point
 * seen. `onStep` reports each measurement. CancelledError when `signal` aborts.
 */
export async function targetOutcome(
  ctx: CompareContext,
  target: number,
  base: KnobRule,
  method: FactorMethodName,
  options: { signal?: AbortSignal; onStep?: (done: number, total: number) => void } = {},
): Promise<{ outcome: RuleOutcome; search: KnobSearchResult }> {
  if (!(target > 0 && target <= 1)) throw new LabInputError('rank', `The target accuracy is a fraction in (0, 1], got ${target}.`);
  const range = KNOB_RANGES[base];
  const iterations = 8;
  const scorer = await ctx.session.scorerOn(ctx.sample);
  try {
    let done = 0;
    const search = await searchKnob(range.lo, range.hi, async (knob) => {
      const outcome = await knobRuleOutcome(ctx, base, knob, options.signal);
      const point = await methodPoint(ctx, outcome.method ?? method, outcome.plan, outcome.groups, options.signal);
      const accuracy = await scorer.accuracy(outcome.plan, point.kernels, options.signal);
      options.onStep?.(++done, iterations + 2);
      return accuracy;
    }, target, { iterations, increasing: range.increasing });
    const outcome = await knobRuleOutcome(ctx, base, search.knob, options.signal);
    const reached = search.feasible ? 'reaches' : 'is the best seen, short of';
    return {
      outcome: { ...outcome, detail: `${range.label} ${search.knob.toFixed(4)}: ${(100 * search.accuracy).toFixed(2)}% on the calibration images ${reached} ${(100 * target).toFixed(2)}% (${search.evaluations} evaluations)` },
      search,
    };
  } finally {
    scorer.dispose();
  }
}
