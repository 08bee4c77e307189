import { memo, useMemo, useState } from 'react';
import { CartesianGrid, Legend, ReferenceLine, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { rankSeries, selectRankChart } from '../../store/chartSelectors';
import { formatPercent } from '../format';
import { useLab } from '../useLab';
import { useThrottled } from '../useThrottled';
import { accuracyDomain, niceTicks, rankTicks, GIVEN_TICKS } from './axes';
import { AxisOption, ChartFrame } from './ChartFrame';
import { KeyItem, RankMarker } from './chartMarks';
import { ON_SCREEN_STYLE, REFERENCE_COLOUR, seriesStyle } from './palette';
import { SeriesLegend, scatterShape } from './SeriesMarkers';

/** How often a running sweep's points and progress are redrawn. */
const REDRAW_MS = 100;

type RankChartData = ReturnType<typeof selectRankChart>;

/**
 * Rank vs accuracy from sweeps: each kept sweep (several layers and methods,
 * the other layers fixed at the ranks of its time) is one series with its
 * own colour and marker; the original model's accuracy is a reference line
 * and the selected layer's slider rank a vertical marker. Before any sweep
 * it explains what a sweep is and offers one.
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
  const actions = useLab(useShallow((st) => ({ start: st.startSweep, cancel: st.cancelSweep, clear: st.clearSweeps })));
  const [fullAxis, setFullAxis] = useState(false);
  const [logRank, setLogRank] = useState(false);
  const series = useMemo(() => rankSeries(s.sweeps, s.staleIds), [s.sweeps, s.staleIds]);
  const selected = s.layers.find((l) => l.name === s.layer);
  if (!s.layer || !selected?.kernelShape) return null;
  const layer = s.layer;
  const tops = [selected, ...series.map((x) => s.layers.find((l) => l.name === x.layer))].map((l) => (l?.kernelShape ? Math.min(...l.kernelShape) : 1));
  const top = Math.max(...tops);
  const swept = new Set(series.map((x) => x.layer));
  const xTitle = swept.size > 1 ? 'rank k of the swept layer' : `rank k of ${series[0]?.layer ?? layer}`;
  const yTitle = `${s.score} (%)`;
  const originalPercent = s.original && s.score === 'accuracy' ? 100 * s.original.accuracy : null;
  const percents = series.flatMap((x) => x.points.map((p) => p.accuracy)).concat(originalPercent ?? []);
  const yDomain = accuracyDomain(percents, !fullAxis);
  const points = series.reduce((n, x) => n + x.points.length, 0);
  const running = s.last?.status === 'running' ? s.last : null;
  const table = points === 0 ? null : {
    caption: `Rank versus ${s.score} of each sweep, one row per rank swept`,
    columns: ['sweep', xTitle, yTitle],
    rows: series.flatMap((x) => x.points.map((p) => [x.name, p.rank, p.accuracy.toFixed(2)])),
  };
  const controls = running ? (
    <span className="sweep-progress" role="status">
      <progress max={running.total} value={running.done} aria-label="Sweep progress" /> {running.layer} {running.done}/{running.total}
      <button type="button" onClick={actions.cancel} data-testid="cancel-sweep">Cancel sweep</button>
    </span>
  ) : (
    <button type="button" onClick={() => void actions.start(layer)} disabled={!s.ready} data-testid="start-sweep">Sweep ranks of {layer}</button>
  );
  return (
    <ChartFrame id="rank" title={`Rank vs ${s.score}`} label={`Rank versus ${s.score} for ${layer}`} table={table}
      controls={<>{controls}{series.length > 0 && !running && <button type="button" onClick={actions.clear} data-testid="clear-sweeps">Clear</button>}</>}>
      <div className="chart-options">
        <AxisOption label="log rank axis" checked={logRank} onChange={setLogRank} testId="rank-log-axis" />
        <AxisOption label={`full 0–100% ${s.score} axis`} checked={fullAxis} onChange={setFullAxis} testId="rank-full-axis" />
      </div>
      {series.some((x) => x.stale) && <p className="note">Curves marked "out of date" were swept under other ranks of the other layers or another method; sweep again to update them.</p>}
      {s.last?.status === 'cancelled' && <p className="note">Sweep of {s.last.layer} cancelled after {s.last.done} of {s.last.total} ranks.</p>}
      <div data-testid="rank-chart" data-points={points} data-series={series.length}>
        {series.length === 0 ? (
          <div className="chart-empty">
            <p>A <strong>sweep</strong> scores the model at every rank of one layer (the other layers stay at their ranks) and draws
              {' '}{s.score} against rank: where the curve flattens, a lower rank costs little. Sweeps of other layers and methods are kept and overlaid.</p>
            <button type="button" onClick={() => void actions.start(layer)} disabled={!s.ready}>Sweep ranks of {layer}</button>
          </div>
        ) : (
          <ScatterChart width={520} height={300} margin={{ top: 8, right: 16, bottom: 28, left: 12 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis {...GIVEN_TICKS} dataKey="rank" type="number" name="rank" scale={logRank ? 'log' : 'linear'} domain={[1, top]} allowDataOverflow
              ticks={rankTicks(top, logRank)} label={{ value: xTitle, position: 'insideBottom', offset: -14 }} />
            <YAxis {...GIVEN_TICKS} dataKey="accuracy" type="number" tick={{ className: 'accuracy-tick' }} name={s.score} domain={yDomain} allowDataOverflow ticks={niceTicks(yDomain[0], yDomain[1])}
              width={56} label={{ value: yTitle, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }} />
            <Tooltip formatter={(v, name) => (name === 'rank' ? String(v) : `${Number(v).toFixed(2)}%`)} />
            <Legend verticalAlign="top" height={28} content={() => <SeriesLegend entries={series.map((x, i) => ({ name: x.name, style: seriesStyle(i), faded: x.stale }))} />} />
            {originalPercent !== null && <ReferenceLine y={originalPercent} stroke={REFERENCE_COLOUR} strokeDasharray="4 4"
              label={{ value: `original ${formatPercent(s.original!.accuracy)}`, position: 'insideBottomRight', fontSize: 11 }} />}
            {series.map((x, i) => {
              const style = seriesStyle(i);
              return <Scatter key={x.id} name={x.name} data={x.points} fill={style.colour} stroke={style.colour} shape={scatterShape(style)}
                line={{ strokeWidth: 1.5 }} lineJointType="linear" fillOpacity={x.stale ? 0.4 : 1} strokeOpacity={x.stale ? 0.4 : 1} isAnimationActive={false} />;
            })}
            <RankMarker layer={layer} fallback={Math.min(...selected.kernelShape)} />
          </ScatterChart>
        )}
      </div>
      {series.length > 0 && <p className="chart-keys"><KeyItem style={ON_SCREEN_STYLE} text={`rank on screen (${layer})`} line /></p>}
    </ChartFrame>
  );
});
