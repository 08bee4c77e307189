import { memo, useDeferredValue, useEffect, useMemo } from 'react';
import { CartesianGrid, ComposedChart, Legend, Line, Scatter, Tooltip, XAxis, YAxis, ZAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { breakEvenRank, selectSpectrumChart, spectrumPoints } from '../../store/chartSelectors';
import { selectSpectrum } from '../../store/selectors';
import { useLab } from '../useLab';
import { Explain } from '../explain/Explain';
import { formatLogTick, logDomain, logTicks, rankTicks } from './axes';
import { ChartFrame } from './ChartFrame';
import { KeyItem, RankMarker, VerticalMark } from './chartMarks';
import { ON_SCREEN_STYLE, REFERENCE_COLOUR, seriesStyle } from './palette';

type SpectrumData = ReturnType<typeof selectSpectrumChart>;

/** A spectrum marker's area in px² for `count` values on a 520 px chart. */
const markerArea = (count: number) => (count > 128 ? 10 : count > 32 ? 30 : 50);

/**
 * The selected layer's singular values as points on a log axis, their
 * cumulative energy (share of ||W||_F^2 kept, right axis), the slider's rank
 * and the break-even rank mn/(m+n) marked, and under ALDS the spectra of the
 * channel groups in use; above it, what the cut discards: the relative
 * Frobenius error of the best rank-k approximation and s_{k+1}/s_1.
 *
 * The chart itself depends only on the layer, its spectrum and its groups (a
 * deferred copy, drawn at low priority); the rank marker and the note follow
 * the slider without redrawing it (chartMarks.tsx).
 */
export function SpectrumChart() {
  const chart = useLab(useShallow(selectSpectrumChart));
  const loadGroupSpectra = useLab((s) => s.loadGroupSpectra);
  useEffect(() => {
    if (chart.layer && chart.groups > 1 && !chart.groupSpectra) void loadGroupSpectra(chart.layer, chart.groups);
  }, [chart.layer, chart.groups, chart.groupSpectra, loadGroupSpectra]);
  return <SpectrumPlot data={useDeferredValue(chart)} />;
}

/** What the slider's rank drops, in a line; it follows the slider by itself, so the chart around it is not redrawn. */
function SpectrumNote() {
  const view = useLab(useShallow(selectSpectrum));
  if (!view) return null;
  return (
    <p className="note" data-testid="spectrum-errors">
      rank {view.rank} drops {(100 * view.relativeError).toFixed(2)}% of ‖W‖<sub>F</sub> <Explain term="frobenius-error" />; spectral error s<sub>k+1</sub>/s<sub>1</sub> = {view.spectralError.toFixed(4)} <Explain term="spectral-error" />
    </p>
  );
}

const SpectrumPlot = memo(function SpectrumPlot({ data: s }: { data: SpectrumData }) {
  const points = useMemo(() => (s.values ? spectrumPoints(s.values) : []), [s.values]);
  const groupPoints = useMemo(() => (s.groupSpectra ?? []).flatMap((g, group) => spectrumPoints(g).map((p) => ({ ...p, group: group + 1 }))), [s.groupSpectra]);
  if (!s.layer || !s.values || !s.kernelShape) return null;
  const [m, n] = s.kernelShape;
  const breakEven = breakEvenRank(m, n, s.groups);
  const sigmas = points.concat(groupPoints).map((p) => p.sigma);
  const yDomain = logDomain(Math.min(...sigmas), Math.max(...sigmas));
  const layerStyle = seriesStyle(0);
  const groupStyle = seriesStyle(1);
  const energyStyle = seriesStyle(2);
  const table = {
    caption: `Singular values of ${s.layer} (${m}×${n}) and the cumulative energy they keep${s.groupSpectra ? `; the ${s.groups} channel groups' values are drawn only` : ''}`,
    columns: ['i', 'singular value s_i', 'cumulative energy (%)'],
    rows: points.map((p) => [p.index, p.sigma.toPrecision(4), p.energy.toFixed(2)]),
  };
  return (
    <ChartFrame id="spectrum" title={`Singular values: ${s.layer}`} label={`Singular values of ${s.layer}`} table={table}>
      <SpectrumNote />
      <div data-testid="spectrum-chart" data-points={points.length} data-break-even={breakEven}>
        <ComposedChart width={520} height={280} margin={{ top: 8, right: 8, bottom: 28, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
          {/* Half a step of room at each end, so the first and last singular values are whole markers, not halves on the frame. */}
          <XAxis dataKey="index" type="number" domain={[0.5, points.length + 0.5]} allowDataOverflow ticks={rankTicks(points.length, false)}
            label={{ value: `index i (rank k) of ${s.layer}`, position: 'insideBottom', offset: -14 }} />
          <YAxis yAxisId="sigma" dataKey="sigma" type="number" scale="log" domain={yDomain} allowDataOverflow ticks={logTicks(yDomain)}
            width={64} tickFormatter={formatLogTick}
            label={{ value: 'singular value s_i (log)', angle: -90, position: 'insideLeft', offset: 0, style: { textAnchor: 'middle' } }} />
          <YAxis yAxisId="energy" dataKey="energy" type="number" orientation="right" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} width={48}
            label={{ value: 'cum. energy (%)', angle: 90, position: 'insideRight', offset: 4, style: { textAnchor: 'middle' } }} />
          {/* Marker area in px²: smaller markers when hundreds of values share the axis, so they stay apart. */}
          <ZAxis type="number" range={[markerArea(points.length), markerArea(points.length)]} />
          <Tooltip formatter={(v, name) => (name === 'cumulative energy' ? `${Number(v).toFixed(2)}%` : Number(v).toPrecision(4))} />
          <Legend verticalAlign="top" height={28} />
          {groupPoints.length > 0 && <Scatter yAxisId="sigma" name={`${s.groups} channel groups`} className="group-spectra" data={groupPoints} dataKey="sigma"
            fill={groupStyle.colour} shape={groupStyle.shape} legendType={groupStyle.shape} fillOpacity={0.6} isAnimationActive={false} />}
          <Scatter yAxisId="sigma" name="s_i of the layer" className="layer-spectrum" data={points} dataKey="sigma"
            fill={layerStyle.colour} shape={layerStyle.shape} legendType={layerStyle.shape} isAnimationActive={false} />
          <Line yAxisId="energy" name="cumulative energy" data={points} dataKey="energy" stroke={energyStyle.colour} strokeWidth={1.5}
            dot={false} legendType="plainline" isAnimationActive={false} />
          <VerticalMark x={breakEven} label={`break-even ${breakEven}`} className="break-even-marker" colour={REFERENCE_COLOUR} dashed row={1} />
          <RankMarker layer={s.layer} fallback={points.length} />
        </ComposedChart>
      </div>
      <p className="chart-keys">
        <KeyItem style={ON_SCREEN_STYLE} text="rank on screen" line />
        <KeyItem style={{ colour: REFERENCE_COLOUR, shape: 'circle' }} text={`break-even rank ⌊mn/(m+${s.groups > 1 ? `${s.groups}n` : 'n'})⌋: factors stop saving parameters`} line />
        <Explain term="break-even-rank" />
      </p>
    </ChartFrame>
  );
});
