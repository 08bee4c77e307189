import { describe, expect, it } from 'vitest';
import { FACTOR_METHODS, FACTOR_METHOD_NAMES } from '../../src/model/methods/registry';
import { KNOB_RULES, KNOB_RULE_NAMES } from '../../src/model/rules/registry';
import { COMPARE_CURVES } from '../../src/model/compare';
import { METHOD_CHOICES, RULE_CHOICES, SEARCHABLE_RULES } from '../../src/store/catalog';
import { readUrlState } from '../../src/store/urlState';
import { parseArgs, USAGE } from '../../src/cli/args';

/**
 * Every reader of the method and rule registries lists exactly what is
 * registered: the UI's menus (through the store's catalog), the share-link
 * parser, the CLI's usage and argument parser, and the comparison. A list
 * kept by hand anywhere would drift from the registry and fail here.
 */

describe('registries and their readers', () => {
  it('offers every registered method in the method menu, with its own hint and storage note', () => {
    expect(METHOD_CHOICES.map((m) => m.name)).toEqual([...FACTOR_METHOD_NAMES]);
    for (const m of METHOD_CHOICES) {
      expect(m.hint).toBe(FACTOR_METHODS[m.name].hint);
      expect(m.hint.length).toBeGreaterThan(10);
      expect(m.storage).toBe(FACTOR_METHODS[m.name].storage);
    }
  });

  it('offers every knob rule and the target rule in the rule menu, each with the registry\'s knob', () => {
    expect(RULE_CHOICES.map((r) => r.name)).toEqual([...KNOB_RULE_NAMES, 'target']);
    for (const r of RULE_CHOICES) if (r.name !== 'target') expect(r.knob).toBe(KNOB_RULES[r.name].knob);
    expect(SEARCHABLE_RULES.map((r) => r.name)).toEqual([...KNOB_RULE_NAMES]);
  });

  it('accepts every method name in a share link and nothing else', () => {
    for (const name of FACTOR_METHOD_NAMES) expect(readUrlState(`?method=${encodeURIComponent(name)}`).state.method).toBe(name);
    expect(readUrlState('?method=toString').state.method).toBeUndefined();
    expect(readUrlState('?method=__proto__').errors).toHaveLength(1);
  });

  it('names every method and rule, with the rule\'s bounds, in the CLI usage, and parses each --target-rule', () => {
    for (const name of FACTOR_METHOD_NAMES) expect(USAGE).toContain(name);
    for (const name of KNOB_RULE_NAMES) {
      const { knob } = KNOB_RULES[name];
      expect(USAGE).toContain(`${name}:<${knob.label}, ${knob.min} to ${knob.max}>`);
      expect(parseArgs(['evaluate', '--model', 'm.json', '--rule', 'target:0.9', '--target-rule', name]).targetRule).toBe(name);
    }
    expect(() => parseArgs(['evaluate', '--model', 'm.json', '--rule', 'target:0.9', '--target-rule', 'magic'])).toThrow(/one of energy, output-error, alds/);
  });

  it('draws a comparison curve for every method with comparison ranks and every knob rule', () => {
    const names = COMPARE_CURVES.map((c) => c.name);
    for (const m of FACTOR_METHOD_NAMES) if (FACTOR_METHODS[m].compare) expect(names).toContain(m);
    for (const r of KNOB_RULE_NAMES) expect(names).toContain(r);
    expect(new Set(names).size).toBe(names.length);
  });
});
