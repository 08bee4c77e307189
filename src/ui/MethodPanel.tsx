import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { FACTOR_METHODS, type FactorMethodName } from '../model/compareMethods';
import { RULES, type KnobRule, type RuleName } from '../model/rankRuleOutcome';
import { useLab } from './useLab';

/** What each method is, in a line, for the select's hint. */
const METHOD_HINTS: Record<FactorMethodName, string> = {
  svd: 'truncated SVD: U sqrt(S) and sqrt(S) V^T',
  'data-aware': 'best rank-k fit of the layer outputs on 1,000 calibration images',
  'svd+int8': 'SVD factors stored as int8 per channel, singular values float',
  'svd+int4': 'SVD factors stored as int4 per channel, singular values float',
  lp: 'robust l_1 subspace of the kernel rows by IRLS, computed in a worker (a full SVD per step: seconds per layer on large kernels)',
  alds: 'SVD of each channel group the ALDS rule chose (one group: plain SVD); sliders set each group\'s rank j',
};

/** Each rule's knob: label, default, bounds and step of its number field. */
const RULE_KNOBS: Record<RuleName, { label: string; value: number; min: number; max: number; step: number }> = {
  energy: { label: 'energy kept tau', value: 0.9, min: 0.01, max: 1, step: 0.01 },
  'output-error': { label: 'relative output error eps', value: 0.2, min: 0.01, max: 2, step: 0.01 },
  alds: { label: 'budget, share of parameters', value: 0.1, min: 0.01, max: 1, step: 0.01 },
  target: { label: 'accuracy on calibration images', value: 0.95, min: 0.1, max: 1, step: 0.005 },
};

const KNOB_RULES: readonly KnobRule[] = ['energy', 'output-error', 'alds'];

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
  const [value, setValue] = useState(RULE_KNOBS.energy.value);
  const [base, setBase] = useState<KnobRule>('energy');
  const knob = RULE_KNOBS[rule];
  return (
    <section className="method-panel" aria-label="Method and rank rule">
      <label>
        Factor method{' '}
        <select value={s.method} onChange={(e) => s.setMethod(e.target.value as FactorMethodName)} disabled={!s.ready} data-testid="method-select">
          {FACTOR_METHODS.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <p className="note">{METHOD_HINTS[s.method]}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void s.applyRule(rule, value, base);
        }}
      >
        <label>
          Rank rule{' '}
          <select value={rule} onChange={(e) => { const r = e.target.value as RuleName; setRule(r); setValue(RULE_KNOBS[r].value); }} data-testid="rule-select">
            {RULES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>{' '}
        <label>
          {knob.label}{' '}
          <input type="number" min={knob.min} max={knob.max} step={knob.step} value={value} onChange={(e) => setValue(Number(e.target.value))} data-testid="rule-value" style={{ width: '5em' }} />
        </label>{' '}
        {rule === 'target' && (
          <label>
            searching{' '}
            <select value={base} onChange={(e) => setBase(e.target.value as KnobRule)} data-testid="rule-base">
              {KNOB_RULES.map((r) => <option key={r} value={r}>{RULE_KNOBS[r].label}</option>)}
            </select>
          </label>
        )}{' '}
        <button type="submit" disabled={!s.ready || s.ruleRun !== null} data-testid="apply-rule">Set ranks</button>
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
