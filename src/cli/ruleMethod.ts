import { aldsPoint, FACTOR_METHODS, methodPoint, RANK_RULES, rulePlan, type FactorMethodName, type MethodPoint, type RankRuleName } from '../model/compareMethods';
import { createCompareContext } from '../model/compare';
import type { CompareContext } from '../model/compareMethods';
import { searchKnob } from '../core/knobSearch';
import { LabInputError } from '../model/errors';
import { parseRankSpec } from '../model/rankSpec';
import type { RankPlan } from '../model/plan';
import type { LabSession } from '../model/session';
import type { CliArgs } from './args';
import { readSample } from './nodeEnv';

/**
 * The configuration `--rule` / `--method` (or `--ranks`) describe: the rule
 * picks ranks, the method computes factors at them. Rules and data-aware
 * factors read the calibration images (training set), never the test set.
 */
export async function configureFromArgs(session: LabSession, args: CliArgs, ranks: string | undefined): Promise<{ plan: RankPlan; point: MethodPoint }> {
  const method = (args.method ?? 'svd') as FactorMethodName;
  if (!(FACTOR_METHODS as readonly string[]).includes(method)) {
    throw new LabInputError('rank', `Unknown --method "${args.method}"; choose from ${FACTOR_METHODS.join(', ')}.`);
  }
  const rule = args.rule;
  if (rule && rule.name !== 'alds' && rule.name !== 'target' && !(RANK_RULES as readonly string[]).includes(rule.name)) {
    throw new LabInputError('rank', `Unknown --rule "${rule.name}"; choose from ${[...RANK_RULES, 'alds', 'target'].join(', ')}.`);
  }
  if (!rule && method === 'svd') {
    const plan = ranks === undefined ? {} : parseRankSpec(ranks, session.layers);
    return { plan, point: { plan, bytes: 0, detail: '' } };
  }
  const ctx = await createCompareContext(session, await readSample('calib'));
  if (rule?.name === 'alds') {
    if (method !== 'svd') throw new LabInputError('rank', 'ALDS computes its own grouped SVD factors; drop --method.');
    return { plan: {}, point: aldsPoint(ctx, rule.value) };
  }
  if (rule?.name === 'target') {
    const plan = await targetAccuracyPlan(ctx, rule.value);
    return { plan, point: methodPoint(ctx, method, plan) };
  }
  const plan = rule ? rulePlan(ctx, rule.name as RankRuleName, rule.value) : ranks === undefined ? {} : parseRankSpec(ranks, session.layers);
  return { plan, point: methodPoint(ctx, method, plan) };
}

/**
 * The smallest model whose accuracy on the calibration images (training
 * set) reaches `target`, searching the energy rule's tau: bisection over
 * tau in [0.3, 0.999], assuming accuracy grows with tau. Prints the search.
 */
async function targetAccuracyPlan(ctx: CompareContext, target: number): Promise<RankPlan> {
  if (!(target > 0 && target <= 1)) throw new LabInputError('rank', `--rule target:<accuracy> takes a fraction in (0, 1], got ${target}.`);
  const scorer = await ctx.session.scorerOn(await readSample('calib'));
  try {
    const found = await searchKnob(0.3, 0.999, (tau) => scorer.accuracy(rulePlan(ctx, 'energy', tau)), target, { iterations: 8 });
    console.error(`target ${target}: energy tau ${found.knob.toFixed(4)} gives ${(100 * found.accuracy).toFixed(2)}% on the calibration images` +
      `${found.feasible ? '' : ' (target not reached; the most accurate point seen)'} after ${found.evaluations} evaluations`);
    return rulePlan(ctx, 'energy', found.knob);
  } finally {
    scorer.dispose();
  }
}
