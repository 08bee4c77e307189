import { memo, useDeferredValue } from 'react';
import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { selectPlanKey } from '../store/selectors';
import { formatBytes } from './format';
import { useLab } from './useLab';
import type { LabState } from '../store/types';

function selectSizeChart(st: LabState) {
  return { history: st.history, key: selectPlanKey(st), originalBytes: st.size?.originalBytes ?? 0 };
}

type SizeChartData = ReturnType<typeof selectSizeChart>;

/**
 * Model size vs accuracy for every configuration evaluated so far (slider
 * moves and sweeps); the configuration on screen is drawn highlighted.
 *
 * The chart renders from a deferred copy of its data, at low priority, so a
 * slider move's evaluation and scores never wait for an SVG redraw (charts
 * took about 60% of a rank change in Chromium before).
 */
export function SizeChart() {
  const s = useLab(useShallow(selectSizeChart));
  return <SizeChartView data={useDeferredValue(s)} />;
}

const SizeChartView = memo(function SizeChartView({ data: s }: { data: SizeChartData }) {
  const rest = s.history.filter((h) => h.key !== s.key).map((h) => ({ ...h, accuracy: 100 * h.accuracy }));
  const current = s.history.filter((h) => h.key === s.key).map((h) => ({ ...h, accuracy: 100 * h.accuracy }));
  return (
    <section className="chart" aria-label="Model size versus accuracy">
      <header><h2>Size vs accuracy ({s.history.length} configurations)</h2></header>
      <div data-testid="size-chart" data-points={s.history.length}>
        <ScatterChart width={520} height={260} margin={{ top: 8, right: 16, bottom: 20, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="bytes" type="number" name="size" tickFormatter={formatBytes} domain={[0, Math.max(1, s.originalBytes)]} label={{ value: 'model size (float32)', position: 'insideBottom', offset: -10 }} />
          <YAxis dataKey="accuracy" type="number" name="accuracy" unit="%" domain={['auto', 100]} width={56} />
          <Tooltip formatter={(v, name) => (name === 'size' ? formatBytes(Number(v)) : `${Number(v).toFixed(2)}%`)} />
          <Scatter name="evaluated" data={rest} fill="#8aa9d6" isAnimationActive={false} />
          <Scatter name="current" data={current} fill="#d33" isAnimationActive={false} />
        </ScatterChart>
      </div>
    </section>
  );
});
