import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { FactorMethodName } from '../model/methods/registry';
import type { KnobRule } from '../model/rules/registry';
import type { RuleName } from '../model/rules/target';
import { METHOD_CHOICES, RULE_CHOICES, SEARCHABLE_RULES, methodChoice } from '../store/catalog';
import { useLab } from './useLab';
import { Explain } from './explain/Explain';
import type { TermName } from './explain/glossary';

const choiceOf = (rule: RuleName) => RULE_CHOICES.find((r) => r.name === rule)!;
const knobOf = (rule: RuleName) => choiceOf(rule).knob;

/** The explanation of each rule's knob; a new rule does not compile until it has one. */
const RULE_TERM = { energy: 'energy-tau', 'output-error': 'output-eps', alds: 'alds-budget', target: 'target-accuracy' } satisfies Record<RuleName, TermName>;

/**
 * How factors are computed (the factor method every evaluation uses) and a
 * rank rule that sets all sliders at once, with progress and Cancel while
 * a rule searches. Plain form controls, so they work from the keyboard.
 */
export function MethodPanel() {
  const s = useLab(useShallow((st) => ({
    method: st.method, ready: st.phase === 'ready', setMethod: st.setMethod, applyRule: st.applyRule,
    cancelRule: st.cancelRule, ruleRun: st.ruleRun, ruleDetail: st.ruleDetail,
  })));
  const [rule, setRule] = useState<RuleName>('energy');
  const [value, setValue] = useState(knobOf('energy').value);
  const [base, setBase] = useState<KnobRule>('energy');
  const knob = knobOf(rule);
  return (
    <section className="method-panel" aria-label="Method and rank rule">
      <label>
        Factor method{' '}
        <select value={s.method} onChange={(e) => s.setMethod(e.target.value as FactorMethodName)} disabled={!s.ready} data-testid="method-select">
          {METHOD_CHOICES.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
        </select>
      </label>
      <p className="note">{methodChoice(s.method).hint}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void s.applyRule(rule, value, base);
        }}
      >
        <label>
          Rank rule{' '}
          <select value={rule} onChange={(e) => { const r = e.target.value as RuleName; setRule(r); setValue(knobOf(r).value); }} data-testid="rule-select">
            {RULE_CHOICES.map((r) => <option key={r.name} value={r.name}>{r.name}</option>)}
          </select>
        </label>{' '}
        <label>
          {knob.label}{' '}
          <input type="number" min={knob.min} max={knob.max} step={knob.step} value={value} onChange={(e) => setValue(Number(e.target.value))} data-testid="rule-value" style={{ width: '5em' }} />
        </label>{' '}
        <Explain term={RULE_TERM[rule]} />{' '}
        {rule === 'target' && (
          <label>
            searching{' '}
            <select value={base} onChange={(e) => setBase(e.target.value as KnobRule)} data-testid="rule-base">
              {SEARCHABLE_RULES.map((r) => <option key={r.name} value={r.name}>{r.label}</option>)}
            </select>
          </label>
        )}{' '}
        <button type="submit" disabled={!s.ready || s.ruleRun !== null} data-testid="apply-rule">Set ranks</button>
        <p className="note" data-testid="rule-hint">{choiceOf(rule).hint}</p>
      </form>
      {s.ruleRun && (
        <p className="note" role="status" data-testid="rule-progress">
          <progress value={s.ruleRun.done} max={s.ruleRun.total} /> {s.ruleRun.label}: {s.ruleRun.done}/{s.ruleRun.total}{' '}
          <button type="button" onClick={s.cancelRule} data-testid="cancel-rule">Cancel</button>
        </p>
      )}
      {s.ruleDetail && <p className="note" data-testid="rule-detail">{s.ruleDetail}</p>}
    </section>
  );
}
