import { createMethodContext } from '../model/methods/context';
import { factorPlan, type FactoredPlan } from '../model/methods/factorPlan';
import { FACTOR_METHOD_NAMES, isFactorMethodName } from '../model/methods/registry';
import { isKnobRule } from '../model/rules/registry';
import { knobRuleOutcome, RULE_NAMES, targetOutcome } from '../model/rules/target';
import type { RuleOutcome } from '../model/rules/types';
import { LabInputError } from '../model/errors';
import { parseRankSpec } from '../model/rankSpec';
import { parsePlanFile, type PlanFile } from '../model/planFile';
import { readFile } from 'node:fs/promises';
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
export async function configureFromArgs(session: LabSession, args: CliArgs, ranks: string | undefined): Promise<{ plan: RankPlan; point: FactoredPlan }> {
  const file = args.plan === undefined ? null : await readPlanFile(args.plan, session);
  if (file && args.method !== undefined && args.method !== file.method) {
    throw new LabInputError('rank', `${args.plan} says method "${file.method}" but --method says "${args.method}"; drop --method (the plan's method is used).`);
  }
  const method = file?.method ?? args.method ?? 'svd';
  if (!isFactorMethodName(method)) {
    throw new LabInputError('rank', `Unknown --method "${args.method}"; choose from ${FACTOR_METHOD_NAMES.join(', ')}.`);
  }
  const rule = args.rule;
  if (rule && rule.name !== 'target' && !isKnobRule(rule.name)) {
    throw new LabInputError('rank', `Unknown --rule "${rule.name}"; choose from ${RULE_NAMES.join(', ')}.`);
  }
  if (!rule && method === 'svd') {
    const plan = file ? file.plan : ranks === undefined ? {} : parseRankSpec(ranks, session.layers);
    return { plan, point: { plan, bytes: 0, detail: '' } };
  }
  const ctx = await createMethodContext(session, await readSample('calib'));
  if (rule?.name === 'alds' && method !== 'svd') throw new LabInputError('rank', 'ALDS computes its own grouped SVD factors; drop --method.');
  let outcome: RuleOutcome;
  if (rule?.name === 'target') {
    outcome = (await targetOutcome(ctx, rule.value, args.targetRule ?? 'energy', method)).outcome;
    console.error(`target ${rule.value}: ${outcome.detail}`);
  } else if (rule && isKnobRule(rule.name)) {
    outcome = await knobRuleOutcome(ctx, rule.name, rule.value, method);
    if (outcome.method !== 'alds') console.error(`${rule.name} ${rule.value}: ${outcome.detail}`);
  } else {
    outcome = file ? { plan: file.plan, groups: file.groups, detail: '' } : { plan: ranks === undefined ? {} : parseRankSpec(ranks, session.layers), groups: {}, detail: '' };
  }
  const point = await factorPlan(ctx, outcome.method ?? method, outcome.plan, outcome.groups);
  return { plan: point.plan ?? outcome.plan, point: outcome.method === 'alds' ? { ...point, detail: outcome.detail } : point };
}

/** Reads and checks a plan file (planFile.ts) against the open model; a file that cannot be read is a LabInputError too. */
async function readPlanFile(path: string, session: LabSession): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new LabInputError('rank', `Cannot read the plan file ${path}: ${err instanceof Error ? err.message : String(err)}.`);
  }
  return parsePlanFile(text, session.layers, path);
}
