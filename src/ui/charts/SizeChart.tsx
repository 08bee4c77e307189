import { memo, useMemo, useState } from 'react';
import { CartesianGrid, ScatterChart, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { kibTicks, selectSizeChart, sizeAxisTop } from '../../store/chartSelectors';
import { formatBytes } from '../format';
import { useLab } from '../useLab';
import { useThrottled } from '../useThrottled';
import { accuracyDomain, niceTicks, GIVEN_TICKS } from './axes';
import { AxisOption, ChartFrame } from './ChartFrame';
import { CurrentPoint, KeyItem, PointMarks } from './chartMarks';
import { ON_SCREEN_STYLE, seriesStyle } from './palette';

type SizeChartData = ReturnType<typeof selectSizeChart>;

/** How often the points are redrawn while results arrive (a slider drag, a sweep). */
const REDRAW_MS = 250;

/** Bytes as KiB with one decimal, for the axis and the table (the axis title carries the unit). */
const kib = (bytes: number) => String(Number((bytes / 1024).toFixed(1)));

/**
 * Stored size vs accuracy for every configuration evaluated so far (slider
 * moves and sweeps), with the configuration on screen as a black star.
 *
 * The points redraw at most every 250 ms, at low priority; the star follows
 * the sliders by itself (chartMarks.tsx). A full recharts redraw per slider
 * move cost more than scoring the move in Chromium. The points are plain
 * markers (PointMarks; hovering one names its configuration), not a recharts
 * Scatter, whose redraw grew with the history (90 ms at 127 points).
 */
export function SizeChart() {
  const s = useLab(useShallow(selectSizeChart));
  return <SizeChartView data={useThrottled(s, REDRAW_MS)} />;
}

const SizeChartView = memo(function SizeChartView({ data: s }: { data: SizeChartData }) {
  const [fullAxis, setFullAxis] = useState(false);
  const points = useMemo(() => s.history.map((h) => ({ ...h, accuracy: 100 * h.accuracy })), [s.history]);
  const marks = useMemo(() => points.map((p) => ({ x: p.bytes, y: p.accuracy, title: `${p.key}: ${formatBytes(p.bytes)}, ${p.accuracy.toFixed(2)}% ${s.score}` })), [points, s.score]);
  const yDomain = accuracyDomain(points.map((p) => p.accuracy), !fullAxis);
  const yTitle = `${s.score} (%)`;
  const style = seriesStyle(0);
  const table = points.length === 0 ? null : {
    caption: `Stored size versus ${s.score} of every configuration evaluated`,
    columns: ['configuration', 'stored size (KiB)', yTitle],
    rows: points.map((p) => [p.key, kib(p.bytes), p.accuracy.toFixed(2)]),
  };
  return (
    <ChartFrame id="size" title={`Size vs ${s.score} (${points.length} configurations)`} label={`Model size versus ${s.score}`} table={table}>
      <div className="chart-options">
        <AxisOption label={`full 0–100% ${s.score} axis`} checked={fullAxis} onChange={setFullAxis} testId="size-full-axis" />
      </div>
      <div data-testid="size-chart" data-points={points.length}>
        <ScatterChart width={520} height={280} margin={{ top: 8, right: 16, bottom: 28, left: 12 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis {...GIVEN_TICKS} dataKey="bytes" type="number" name="size" tickFormatter={kib} ticks={kibTicks(Math.max(1, s.originalBytes))}
            domain={[0, sizeAxisTop(s.originalBytes, points)]} allowDataOverflow label={{ value: 'stored size (KiB)', position: 'insideBottom', offset: -14 }} />
          <YAxis {...GIVEN_TICKS} dataKey="accuracy" type="number" tick={{ className: 'accuracy-tick' }} name={s.score} domain={yDomain} allowDataOverflow ticks={niceTicks(yDomain[0], yDomain[1])}
            width={56} label={{ value: yTitle, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }} />
          <PointMarks points={marks} style={style} size={64} className="evaluated-points" opacity={0.6} />
          <CurrentPoint />
        </ScatterChart>
      </div>
      <p className="chart-keys">
        <KeyItem style={{ ...style, colour: style.colour }} text="evaluated" />
        <KeyItem style={ON_SCREEN_STYLE} text="on screen" />
      </p>
    </ChartFrame>
  );
});
