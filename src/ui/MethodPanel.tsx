import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { FACTOR_METHODS, RANK_RULES, type FactorMethodName, type RankRuleName } from '../model/compareMethods';
import { useLab } from './useLab';

/** What each method and rule is, in a line, for the select's hint. */
const METHOD_HINTS: Record<FactorMethodName, string> = {
  svd: 'truncated SVD: U sqrt(S) and sqrt(S) V^T',
  'data-aware': 'best rank-k fit of the layer outputs on 1,000 calibration images',
  'svd+int8': 'SVD factors stored as int8 per channel, singular values float',
  'svd+int4': 'SVD factors stored as int4 per channel, singular values float',
  lp: 'robust l_1 subspace of the kernel rows by IRLS (slow: a full SVD per step)',
};

/** The methods offered while dragging; l_p runs a full SVD per IRLS step, so it is left to the CLI. */
const INTERACTIVE_METHODS = FACTOR_METHODS.filter((m) => m !== 'lp');
const RULE_DEFAULTS: Record<RankRuleName, { label: string; value: number; step: number }> = {
  energy: { label: 'energy kept tau', value: 0.9, step: 0.01 },
  'output-error': { label: 'relative output error eps', value: 0.2, step: 0.01 },
};

/**
 * How factors are computed (the factor method every evaluation uses) and a
 * rank rule that sets all sliders at once. Plain form controls, so they
 * work from the keyboard.
 */
export function MethodPanel() {
  const s = useLab(useShallow((st) => ({ method: st.method, ready: st.phase === 'ready', setMethod: st.setMethod, applyRule: st.applyRule })));
  const [rule, setRule] = useState<RankRuleName>('energy');
  const [value, setValue] = useState(RULE_DEFAULTS.energy.value);
  return (
    <section className="method-panel" aria-label="Method and rank rule">
      <label>
        Factor method{' '}
        <select value={s.method} onChange={(e) => s.setMethod(e.target.value as FactorMethodName)} disabled={!s.ready} data-testid="method-select">
          {INTERACTIVE_METHODS.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
      </label>
      <p className="note">{METHOD_HINTS[s.method]}</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void s.applyRule(rule, value);
        }}
      >
        <label>
          Rank rule{' '}
          <select value={rule} onChange={(e) => { const r = e.target.value as RankRuleName; setRule(r); setValue(RULE_DEFAULTS[r].value); }} data-testid="rule-select">
            {RANK_RULES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>{' '}
        <label>
          {RULE_DEFAULTS[rule].label}{' '}
          <input type="number" min={0} max={1} step={RULE_DEFAULTS[rule].step} value={value} onChange={(e) => setValue(Number(e.target.value))} data-testid="rule-value" style={{ width: '5em' }} />
        </label>{' '}
        <button type="submit" disabled={!s.ready} data-testid="apply-rule">Set ranks</button>
      </form>
    </section>
  );
}
