import { searchKnob, type KnobSearchResult } from '../../core/knobSearch';
import { LabInputError } from '../errors';
import type { MethodContext } from '../methods/context';
import { factorPlan, uniformPlan } from '../methods/factorPlan';
import type { RankPlan } from '../plan';
import type { FactorMethodName } from '../methods/registry';
import { KNOB_RULES, KNOB_RULE_NAMES, type KnobRule } from './registry';
import type { Knob, RuleOutcome } from './types';

/**
 * The target rule: the smallest model whose accuracy on the calibration
 * images (training set, never the test set) reaches a target, found by
 * bisection over another rule's knob.
 */

/** Every rule a user can apply: the knob rules, then the target rule. */
export const RULE_NAMES = [...KNOB_RULE_NAMES, 'target'] as const;
export type RuleName = KnobRule | 'target';

/** The target rule's knob: an accuracy, a fraction (its search range is unused: the target is not searched). */
export const TARGET_KNOB: Knob = { label: 'accuracy on calibration images', value: 0.95, min: 0.1, max: 1, step: 0.005, search: { lo: 0.1, hi: 1, increasing: true } };

/** Each rule's knob, by name, for the UI and the parsers. */
export function ruleKnob(rule: RuleName): Knob {
  return rule === 'target' ? TARGET_KNOB : KNOB_RULES[rule].knob;
}

/** Throws LabInputError unless `value` lies within the rule's knob bounds. */
export function checkKnob(rule: RuleName, value: number): void {
  const { min, max, label } = ruleKnob(rule);
  if (!(Number.isFinite(value) && value >= min && value <= max)) {
    throw new LabInputError('rank', `The ${rule} rule's ${label} takes a value from ${min} to ${max}, got ${value}.`);
  }
}

/** A loss on the calibration images above this many points (a fraction) gets a warning in the rule's line. */
const LARGE_LOSS = 0.1;

/**
 * Differences in accuracy on the 1,000 calibration images below this (a
 * fraction) are noise: about twice the standard error of an accuracy
 * near 80% there.
 */
const NOISE = 0.025;

/**
 * The largest rank k whose plain SVD in every layer stores no more than
 * `bytes`, with its accuracy by `score`; null when even rank 1 is larger.
 */
async function uniformWithin(ctx: MethodContext, bytes: number, score: (plan: RankPlan) => Promise<number>): Promise<{ k: number; accuracy: number } | null> {
  const top = Math.max(...ctx.layers.map((l) => l.rankLimit));
  let best: { k: number; plan: RankPlan } | null = null;
  for (let k = 1; k <= top; k++) {
    const point = await factorPlan(ctx, 'svd', uniformPlan(ctx.layers, k));
    if (point.bytes > bytes) break;
    best = { k, plan: point.plan ?? {} };
  }
  return best && { k: best.k, accuracy: await score(best.plan) };
}

/**
 * The ranks a knob rule picks at `value`, after checking the knob's bounds,
 * with what they cost: the outcome's line ends with its accuracy on the
 * calibration images (factors of `method`, or the rule's own) next to the
 * original's, and says so when the rule lost more than 10 points there
 * (ALDS at a 5% budget of mlp-64). A rule with a lossReason is also
 * compared with plain SVD at one rank in every layer, at no more bytes:
 * where that keeps more than NOISE more, the line says so and why (ALDS at
 * 10% of the bundled cnn). Throws LabInputError for a
 * value the rule or the model cannot take; CancelledError when `signal`
 * aborts.
 */
export async function knobRuleOutcome(ctx: MethodContext, rule: KnobRule, value: number, method: FactorMethodName = 'svd', signal?: AbortSignal): Promise<RuleOutcome> {
  checkKnob(rule, value);
  const entry = KNOB_RULES[rule];
  const outcome = await entry.outcome(ctx, value, signal);
  const point = await factorPlan(ctx, outcome.method ?? method, outcome.plan, outcome.groups, signal);
  const scorer = await ctx.session.scorerOn(ctx.sample);
  let accuracy: number;
  let uniform: { k: number; accuracy: number } | null = null;
  const original = scorer.original;
  try {
    accuracy = await scorer.accuracy(outcome.plan, point.kernels, signal);
    if (entry.lossReason) uniform = await uniformWithin(ctx, point.bytes, (plan) => scorer.accuracy(plan, undefined, signal));
  } finally {
    scorer.dispose();
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const loss = original - accuracy;
  let note = loss > LARGE_LOSS
    ? `. It keeps ${pct(accuracy)} on the calibration images against the original's ${pct(original)}: a large loss; ${entry.knob.search.increasing ? 'raise' : 'lower'} the ${entry.knob.label} to keep more.`
    : `. On the calibration images: ${pct(accuracy)} (original ${pct(original)}).`;
  if (uniform && uniform.accuracy - accuracy > NOISE) {
    note += ` Plain SVD at rank ${uniform.k} in every layer, no larger, keeps ${pct(uniform.accuracy)} there: ${entry.lossReason}.`;
  }
  return { ...outcome, detail: outcome.detail + note };
}

/**
 * The smallest model whose accuracy on the calibration images reaches
 * `target` (a fraction), searching the knob of `base` over its range on
 * this model by bisection (8 steps) with factors of `method` (a rule that
 * implies its own method uses that). Returns the outcome and the search;
 * when no knob reaches the target, the most accurate point seen. `onStep`
 * reports each measurement. CancelledError when `signal` aborts.
 */
export async function targetOutcome(
  ctx: MethodContext,
  target: number,
  base: KnobRule,
  method: FactorMethodName,
  options: { signal?: AbortSignal; onStep?: (done: number, total: number) => void } = {},
): Promise<{ outcome: RuleOutcome; search: KnobSearchResult }> {
  checkKnob('target', target);
  const rule = KNOB_RULES[base];
  const range = rule.searchRange?.(ctx) ?? rule.knob.search;
  const iterations = 8;
  const scorer = await ctx.session.scorerOn(ctx.sample);
  try {
    let done = 0;
    const search = await searchKnob(range.lo, range.hi, async (knob) => {
      const outcome = await rule.outcome(ctx, knob, options.signal);
      const point = await factorPlan(ctx, outcome.method ?? method, outcome.plan, outcome.groups, options.signal);
      const accuracy = await scorer.accuracy(outcome.plan, point.kernels, options.signal);
      options.onStep?.(++done, iterations + 2);
      return accuracy;
    }, target, { iterations, increasing: range.increasing });
    const outcome = await rule.outcome(ctx, search.knob, options.signal);
    const reached = search.feasible ? 'reaches' : 'is the best seen, short of';
    return {
      outcome: { ...outcome, detail: `${rule.knob.label} ${search.knob.toFixed(4)}: ${(100 * search.accuracy).toFixed(2)}% on the calibration images ${reached} ${(100 * target).toFixed(2)}% (${search.evaluations} evaluations)` },
      search,
    };
  } finally {
    scorer.dispose();
  }
}
