import { memo } from 'react';
import { CartesianGrid, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { formatBytes } from './format';
import { CurrentPoint } from './chartMarks';
import { useLab } from './useLab';
import { useThrottled } from './useThrottled';
import type { LabState } from '../store/types';
import { selectScoreName } from '../store/selectors';

function selectSizeChart(st: LabState) {
  return { history: st.history, originalBytes: st.size?.originalBytes ?? 0, score: selectScoreName(st) };
}

type SizeChartData = ReturnType<typeof selectSizeChart>;

/** How often the points are redrawn while results arrive (a slider drag, a sweep). */
const REDRAW_MS = 250;

/**
 * Model size vs accuracy for every configuration evaluated so far (slider
 * moves and sweeps), with the configuration on screen as a red dot.
 *
 * The points redraw at most every 250 ms, at low priority; the dot follows
 * the sliders by itself (chartMarks.tsx). A full recharts redraw per slider
 * move cost more than scoring the move in Chromium.
 */
export function SizeChart() {
  const s = useLab(useShallow(selectSizeChart));
  return <SizeChartView data={useThrottled(s, REDRAW_MS)} />;
}

const SizeChartView = memo(function SizeChartView({ data: s }: { data: SizeChartData }) {
  const points = s.history.map((h) => ({ ...h, accuracy: 100 * h.accuracy }));
  return (
    <section className="chart" aria-label={`Model size versus ${s.score}`}>
      <header><h2>Size vs {s.score} ({s.history.length} configurations)</h2></header>
      <div data-testid="size-chart" data-points={s.history.length}>
        <ScatterChart width={520} height={260} margin={{ top: 8, right: 16, bottom: 20, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="bytes" type="number" name="size" tickFormatter={formatBytes} domain={[0, Math.max(1, s.originalBytes)]} label={{ value: 'model size (float32)', position: 'insideBottom', offset: -10 }} />
          <YAxis dataKey="accuracy" type="number" name={s.score} unit="%" domain={['auto', 100]} width={56} />
          <Tooltip formatter={(v, name) => (name === 'size' ? formatBytes(Number(v)) : `${Number(v).toFixed(2)}%`)} />
          <Scatter name="evaluated" data={points} fill="#8aa9d6" isAnimationActive={false} />
          <CurrentPoint />
        </ScatterChart>
      </div>
    </section>
  );
});
