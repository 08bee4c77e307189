import { memo, useDeferredValue } from 'react';
import { CartesianGrid, Legend, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import type { LabState } from '../store/types';
import { selectScoreName } from '../store/selectors';
import { formatBytes } from './format';
import { useLab } from './useLab';

/** One colour per method, in the order the comparison runs them. */
const COLOURS = ['#2266cc', '#cc7a00', '#2e9e5b', '#b8336a', '#6b4fbb', '#444444', '#0f9ab8', '#8c564b'];

function selectCompare(st: LabState) {
  return { compare: st.compare, ready: st.phase === 'ready', originalBytes: st.size?.originalBytes ?? 0, score: selectScoreName(st) };
}

/**
 * The method comparison: accuracy vs stored bytes for every method of the
 * papers, each a curve drawn by its own knob, int8 dense kernels as a
 * reference point; run with progress and Cancel, exportable as CSV.
 */
export function CompareChart() {
  const s = useLab(useShallow(selectCompare));
  const actions = useLab(useShallow((st) => ({ start: st.startCompare, cancel: st.cancelCompare, exportCsv: st.exportCompareCsv })));
  const c = s.compare;
  return (
    <section className="chart" aria-label="Method comparison">
      <header>
        <h2>Methods compared{s.score === 'agreement' ? ' (agreement with the original)' : ''}</h2>
        {c?.status === 'running' ? (
          <span className="sweep-progress" role="status">
            <progress max={c.total} value={c.done} aria-label="Comparison progress" /> {c.done}/{c.total} {c.label}
            <button type="button" onClick={actions.cancel} data-testid="cancel-compare">Cancel</button>
          </span>
        ) : (
          <button type="button" onClick={() => void actions.start()} disabled={!s.ready} data-testid="start-compare">
            {c ? 'Compare again' : 'Compare methods'}
          </button>
        )}
        {c && c.rows.length > 0 && c.status !== 'running' && (
          <button type="button" onClick={actions.exportCsv} data-testid="export-csv">Export CSV</button>
        )}
      </header>
      {c?.status === 'cancelled' && <p className="note">Comparison cancelled.</p>}
      <CompareChartView data={useDeferredValue(c?.rows ?? [])} originalBytes={s.originalBytes} />
    </section>
  );
}

const CompareChartView = memo(function CompareChartView({ data, originalBytes }: { data: NonNullable<LabState['compare']>['rows']; originalBytes: number }) {
  const methods = [...new Set(data.map((r) => r.method))];
  return (
    <div data-testid="compare-chart" data-points={data.length}>
      <ScatterChart width={520} height={300} margin={{ top: 8, right: 16, bottom: 20, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis dataKey="bytes" type="number" name="size" tickFormatter={formatBytes} domain={[0, Math.max(1, originalBytes)]} label={{ value: 'stored size', position: 'insideBottom', offset: -10 }} />
        <YAxis dataKey="accuracy" type="number" name="accuracy" unit="%" domain={[0, 100]} width={56} />
        <Tooltip formatter={(v, name) => (name === 'size' ? formatBytes(Number(v)) : `${Number(v).toFixed(2)}%`)} />
        <Legend verticalAlign="top" height={36} />
        {methods.map((m, i) => (
          <Scatter key={m} name={m} data={data.filter((r) => r.method === m).map((r) => ({ bytes: r.bytes, accuracy: 100 * r.accuracy }))}
            fill={COLOURS[i % COLOURS.length]} line={m !== 'int8 dense'} isAnimationActive={false} />
        ))}
      </ScatterChart>
    </div>
  );
});
