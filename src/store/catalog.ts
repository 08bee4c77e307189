import { FACTOR_METHODS, FACTOR_METHOD_NAMES, type FactorMethodName } from '../model/methods/registry';
import { KNOB_RULES, KNOB_RULE_NAMES, type KnobRule } from '../model/rules/registry';
import { RULE_NAMES, ruleKnob, type RuleName } from '../model/rules/target';
import type { Knob } from '../model/rules/types';

/**
 * What the UI shows of the method and rule registries, as plain data: the
 * UI reads the model layer only through the store, so its menus, hints
 * and number fields list exactly the registered methods and rules.
 */

/** A factor method as the method menu shows it. */
export interface MethodChoice {
  readonly name: FactorMethodName;
  readonly hint: string;
  /** How the download stores it, appended to the size line ('' for two float Dense layers). */
  readonly storage: string;
}

/** A rank rule as the rule menu shows it, with its number field. */
export interface RuleChoice {
  readonly name: RuleName;
  readonly hint: string;
  readonly knob: Knob;
}

export const METHOD_CHOICES: readonly MethodChoice[] = FACTOR_METHOD_NAMES.map((name) => ({ name, hint: FACTOR_METHODS[name].hint, storage: FACTOR_METHODS[name].storage }));

export const RULE_CHOICES: readonly RuleChoice[] = RULE_NAMES.map((name) => ({
  name,
  hint: name === 'target' ? 'the smallest model whose accuracy on the calibration images reaches a target, searching another rule\'s knob' : KNOB_RULES[name].hint,
  knob: ruleKnob(name),
}));

/** The rules whose knob the target rule can search, with the knob's label. */
export const SEARCHABLE_RULES: ReadonlyArray<{ readonly name: KnobRule; readonly label: string }> = KNOB_RULE_NAMES.map((name) => ({ name, label: KNOB_RULES[name].knob.label }));

/** The method's entry (every FactorMethodName has one). */
export function methodChoice(name: FactorMethodName): MethodChoice {
  return METHOD_CHOICES.find((m) => m.name === name)!;
}
