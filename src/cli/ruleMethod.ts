import { aldsPoint, FACTOR_METHODS, methodPoint, RANK_RULES, rulePlan, type FactorMethodName, type MethodPoint, type RankRuleName } from '../model/compareMethods';
import { createCompareContext } from '../model/compare';
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
  if (rule && rule.name !== 'alds' && !(RANK_RULES as readonly string[]).includes(rule.name)) {
    throw new LabInputError('rank', `Unknown --rule "${rule.name}"; choose from ${[...RANK_RULES, 'alds'].join(', ')}.`);
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
  const plan = rule ? rulePlan(ctx, rule.name as RankRuleName, rule.value) : ranks === undefined ? {} : parseRankSpec(ranks, session.layers);
  return { plan, point: methodPoint(ctx, method, plan) };
}
