import { memo } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { sweepBaseKey } from '../store/sweepSlice';
import { formatPercent } from './format';
import { RankMarker } from './chartMarks';
import { useLab } from './useLab';
import { useThrottled } from './useThrottled';
import type { LabState } from '../store/types';
import { selectScoreName } from '../store/selectors';

/** How often a running sweep's points and progress are redrawn. */
const REDRAW_MS = 100;

function selectRankChart(st: LabState) {
  const layer = st.selectedLayer;
  const sweep = st.sweep && st.sweep.layer === layer ? st.sweep : null;
  return {
    layer,
    sweep,
    original: st.original,
    score: selectScoreName(st),
    top: st.layers.find((l) => l.name === layer)?.kernelShape,
    // Only whether the sweep is out of date, not the plan itself: a slider move must not redraw the chart.
    stale: sweep !== null && layer !== null && sweep.baseKey !== sweepBaseKey(st, layer),
    ready: st.phase === 'ready',
  };
}

type RankChartData = ReturnType<typeof selectRankChart>;

/**
 * Rank vs accuracy for the selected layer, from a sweep over its ranks with
 * the other layers fixed; the original model's accuracy is a reference line
 * and the slider's rank a vertical marker. A sweep made under other ranks of
 * the other layers is marked out of date.
 *
 * The chart redraws at most every 100 ms, at low priority (a sweep's points
 * arrive faster), and a slider move redraws only the rank marker
 * (chartMarks.tsx), not the chart.
 */
export function RankChart() {
  const s = useLab(useShallow(selectRankChart));
  return <RankChartView data={useThrottled(s, REDRAW_MS)} />;
}

const RankChartView = memo(function RankChartView({ data: s }: { data: RankChartData }) {
  const startSweep = useLab((st) => st.startSweep);
  const cancelSweep = useLab((st) => st.cancelSweep);
  if (!s.layer || !s.top) return null;
  const { sweep, stale } = s;
  const data = sweep?.points.map((p) => ({ rank: p.rank, accuracy: 100 * p.accuracy })) ?? [];
  return (
    <section className="chart" aria-label={`Rank versus ${s.score} for ${s.layer}`}>
      <header>
        <h2>Rank vs {s.score}: {s.layer}{sweep && sweep.method !== 'svd' ? ` (${sweep.method})` : ''}</h2>
        {sweep?.status === 'running' ? (
          <span className="sweep-progress" role="status">
            <progress max={sweep.total} value={sweep.done} aria-label="Sweep progress" /> {sweep.done}/{sweep.total}
            <button type="button" onClick={cancelSweep} data-testid="cancel-sweep">Cancel sweep</button>
          </span>
        ) : (
          <button type="button" onClick={() => void startSweep(s.layer!)} disabled={!s.ready} data-testid="start-sweep">
            {sweep ? 'Sweep again' : `Sweep ranks of ${s.layer}`}
          </button>
        )}
      </header>
      {stale && <p className="note">Other layers' ranks or the factor method changed since this sweep; sweep again to update it.</p>}
      {sweep?.status === 'cancelled' && <p className="note">Sweep cancelled after {sweep.done} of {sweep.total} ranks.</p>}
      <div data-testid="rank-chart" data-points={data.length} className={stale ? 'stale' : undefined}>
        <LineChart width={520} height={260} data={data} margin={{ top: 8, right: 16, bottom: 20, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis dataKey="rank" type="number" domain={[1, Math.min(s.top[0], s.top[1])]} label={{ value: 'rank k', position: 'insideBottom', offset: -10 }} />
          <YAxis domain={['auto', 100]} unit="%" width={56} />
          <Tooltip formatter={(v) => `${Number(v).toFixed(2)}%`} labelFormatter={(k) => `rank ${k}`} />
          {s.original && s.score === 'accuracy' && <ReferenceLine y={100 * s.original.accuracy} stroke="#888" strokeDasharray="4 4" label={`original ${formatPercent(s.original.accuracy)}`} />}
          <RankMarker layer={s.layer} fallback={Math.min(s.top[0], s.top[1])} />
          <Line type="monotone" dataKey="accuracy" stroke="#2266cc" dot={false} isAnimationActive={false} />
        </LineChart>
      </div>
    </section>
  );
});
