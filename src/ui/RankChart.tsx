import { memo, useDeferredValue } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { sweepBaseKey } from '../store/sweepSlice';
import { formatPercent } from './format';
import { useLab } from './useLab';
import type { LabState } from '../store/types';

function selectRankChart(st: LabState) {
  return {
    layer: st.selectedLayer,
    sweep: st.sweep,
    original: st.original,
    rank: st.selectedLayer ? st.plan[st.selectedLayer] : undefined,
    top: st.layers.find((l) => l.name === st.selectedLayer)?.kernelShape,
    baseKey: st.selectedLayer ? sweepBaseKey(st, st.selectedLayer) : '',
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
 * The chart renders from a deferred copy of its data, at low priority, so a
 * slider move's evaluation and scores never wait for an SVG redraw (charts
 * took about 60% of a rank change in Chromium before).
 */
export function RankChart() {
  const s = useLab(useShallow(selectRankChart));
  return <RankChartView data={useDeferredValue(s)} />;
}

const RankChartView = memo(function RankChartView({ data: s }: { data: RankChartData }) {
  const startSweep = useLab((st) => st.startSweep);
  const cancelSweep = useLab((st) => st.cancelSweep);
  if (!s.layer || !s.top) return null;
  const sweep = s.sweep && s.sweep.layer === s.layer ? s.sweep : null;
  const stale = sweep !== null && sweep.baseKey !== s.baseKey;
  const rank = s.rank ?? Math.min(s.top[0], s.top[1]);
  const data = sweep?.points.map((p) => ({ rank: p.rank, accuracy: 100 * p.accuracy })) ?? [];
  return (
    <section className="chart" aria-label={`Rank versus accuracy for ${s.layer}`}>
      <header>
        <h2>Rank vs accuracy: {s.layer}{sweep && sweep.method !== 'svd' ? ` (${sweep.method})` : ''}</h2>
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
          {s.original && <ReferenceLine y={100 * s.original.accuracy} stroke="#888" strokeDasharray="4 4" label={`original ${formatPercent(s.original.accuracy)}`} />}
          <ReferenceLine x={rank} stroke="#d33" />
          <Line type="monotone" dataKey="accuracy" stroke="#2266cc" dot={false} isAnimationActive={false} />
        </LineChart>
      </div>
    </section>
  );
});
