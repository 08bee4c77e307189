import type { RankRule } from './types';
import { energyRule } from './energy';
import { outputErrorRuleEntry } from './outputError';
import { aldsRule } from './alds';

/**
 * Every rank rule with a knob, by the name the UI, the CLI, the share link
 * and the comparison use. A new rule is one file and one line here. The
 * target rule (target.ts) is not listed: it searches one of these knobs.
 */
export const KNOB_RULES = {
  energy: energyRule,
  'output-error': outputErrorRuleEntry,
  alds: aldsRule,
} as const satisfies Record<string, RankRule>;

export type KnobRule = keyof typeof KNOB_RULES;

/** The knob rules' names in the registry's order. */
export const KNOB_RULE_NAMES = Object.keys(KNOB_RULES) as readonly KnobRule[];

export function isKnobRule(name: string): name is KnobRule {
  return Object.hasOwn(KNOB_RULES, name);
}
