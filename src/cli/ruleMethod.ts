import { FACTOR_METHODS, methodPoint, type FactorMethodName, type MethodPoint } from '../model/compareMethods';
import { createCompareContext } from '../model/compare';
import { knobRuleOutcome, RULES, targetOutcome, type KnobRule, type RuleOutcome } from '../model/rankRuleOutcome';
import { LabInputError } from '../model/errors';
import { parseRankSpec } from '../model/rankSpec';
import type { RankPlan } from '../model/plan';
import type { LabSession } from '../model/session';
import type { CliArgs } from './args';
import { readSample } from './nodeEnv';

/**
 * The configuration `--rule` / `--method` (or `--ranks`) describe: the rule
 * picks ranks (ALDS also channel groups and its grouped-SVD factors), the
 * method computes factors at them. Rules and data-aware factors read the
 * calibration images (training set), never the test set.
 */
export async function configureFromArgs(session: LabSession, args: CliArgs, ranks: string | undefined): Promise<{ plan: RankPlan; point: MethodPoint }> {
  const method = (args.method ?? 'svd') as FactorMethodName;
  if (!(FACTOR_METHODS as readonly string[]).includes(method)) {
    throw new LabInputError('rank', `Unknown --method "${args.method}"; choose from ${FACTOR_METHODS.join(', ')}.`);
  }
  const rule = args.rule;
  if (rule && !(RULES as readonly string[]).includes(rule.name)) {
    throw new LabInputError('rank', `Unknown --rule "${rule.name}"; choose from ${RULES.join(', ')}.`);
  }
  if (!rule && method === 'svd') {
    const plan = ranks === undefined ? {} : parseRankSpec(ranks, session.layers);
    return { plan, point: { plan, bytes: 0, detail: '' } };
  }
  const ctx = await createCompareContext(session, await readSample('calib'));
  if (rule?.name === 'alds' && method !== 'svd') throw new LabInputError('rank', 'ALDS computes its own grouped SVD factors; drop --method.');
  let outcome: RuleOutcome;
  if (rule?.name === 'target') {
    outcome = (await targetOutcome(ctx, rule.value, args.targetRule ?? 'energy', method)).outcome;
    console.error(`target ${rule.value}: ${outcome.detail}`);
  } else if (rule) {
    outcome = await knobRuleOutcome(ctx, rule.name as KnobRule, rule.value);
  } else {
    outcome = { plan: ranks === undefined ? {} : parseRankSpec(ranks, session.layers), groups: {}, detail: '' };
  }
  const point = await methodPoint(ctx, outcome.method ?? method, outcome.plan, outcome.groups);
  return { plan: point.plan ?? outcome.plan, point: outcome.method === 'alds' ? { ...point, detail: outcome.detail } : point };
}
