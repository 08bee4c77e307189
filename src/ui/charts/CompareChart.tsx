import { memo, useDeferredValue, useMemo, useState } from 'react';
import { CartesianGrid, Legend, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import type { LabState } from '../../store/types';
import { kibTicks, knobSetting, plottable, sizeAxisTop } from '../../store/chartSelectors';
import { selectScoreName } from '../../store/selectors';
import { formatBytes } from '../format';
import { useLab } from '../useLab';
import { accuracyDomain, niceTicks, GIVEN_TICKS } from './axes';
import { AxisOption, ChartFrame } from './ChartFrame';
import { CurrentPoint, KeyItem } from './chartMarks';
import { ON_SCREEN_STYLE, seriesStyle } from './palette';
import { SeriesLegend, scatterShape } from './SeriesMarkers';

type CompareRows = NonNullable<LabState['compare']>['rows'];

function selectCompare(st: LabState) {
  return { compare: st.compare, ready: st.phase === 'ready', originalBytes: st.size?.originalBytes ?? 0, score: selectScoreName(st), method: st.method };
}

/** Bytes as KiB with one decimal (the axis title carries the unit). */
const kib = (bytes: number) => String(Number((bytes / 1024).toFixed(1)));

/**
 * The method comparison: accuracy vs stored bytes for every method of the
 * papers, each a curve drawn by its own knob with its own colour and marker,
 * int8 dense kernels as a reference point, and the configuration on screen
 * as a black star; run with progress and Cancel, exportable as CSV.
 */
export function CompareChart() {
  const s = useLab(useShallow(selectCompare));
  const actions = useLab(useShallow((st) => ({ start: st.startCompare, cancel: st.cancelCompare, exportCsv: st.exportCompareCsv })));
  const c = s.compare;
  // Only finite points are drawn or tabulated (a configuration whose numbers overflowed is not a value).
  const rows = useDeferredValue(useMemo(() => (c ? plottable(c.rows, ['bytes', 'accuracy']) : NO_ROWS), [c?.rows]));
  const [fullAxis, setFullAxis] = useState(false);
  const yTitle = `${s.score} (%)`;
  const table = rows.length === 0 ? null : {
    caption: `Stored size versus ${s.score} of each method, one row per setting of its knob`,
    columns: ['method', 'knob', 'stored size (KiB)', yTitle],
    rows: rows.map((r) => [r.method, knobSetting(r), kib(r.bytes), (100 * r.accuracy).toFixed(2)]),
  };
  const controls = (
    <>
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
    </>
  );
  return (
    <ChartFrame id="compare" title={`Methods compared${s.score === 'agreement' ? ' (agreement with the original)' : ''}`} label="Method comparison"
      table={table} controls={controls}>
      {c?.status === 'cancelled' && <p className="note">Comparison cancelled.</p>}
      <div className="chart-options">
        <AxisOption label={`full 0–100% ${s.score} axis`} checked={fullAxis} onChange={setFullAxis} testId="compare-full-axis" />
      </div>
      {rows.length === 0 && c?.status !== 'running' && (
        <p className="note">Compare methods scores every factor method and rank rule of the papers over its own knob on this model and draws {s.score} against stored size, one curve per method.</p>
      )}
      <CompareChartView data={rows} originalBytes={s.originalBytes} fullAxis={fullAxis} yTitle={yTitle} />
      {rows.length > 0 && <p className="chart-keys"><KeyItem style={ON_SCREEN_STYLE} text={`on screen (${s.method})`} /></p>}
    </ChartFrame>
  );
}

const NO_ROWS: CompareRows = [];

const CompareChartView = memo(function CompareChartView({ data, originalBytes, fullAxis, yTitle }: { data: CompareRows; originalBytes: number; fullAxis: boolean; yTitle: string }) {
  const methods = useMemo(() => [...new Set(data.map((r) => r.method))], [data]);
  const yDomain = accuracyDomain(data.map((r) => 100 * r.accuracy), !fullAxis);
  return (
    <div data-testid="compare-chart" data-points={data.length}>
      {data.length > 0 && <ScatterChart width={520} height={320} margin={{ top: 8, right: 16, bottom: 28, left: 12 }}>
        <CartesianGrid strokeDasharray="3 3" />
        <XAxis {...GIVEN_TICKS} dataKey="bytes" type="number" name="size" tickFormatter={kib} ticks={kibTicks(Math.max(1, originalBytes))}
          domain={[0, sizeAxisTop(originalBytes, data)]} label={{ value: 'stored size (KiB)', position: 'insideBottom', offset: -14 }} />
        <YAxis {...GIVEN_TICKS} dataKey="accuracy" type="number" tick={{ className: 'accuracy-tick' }} name="accuracy" domain={yDomain} allowDataOverflow ticks={niceTicks(yDomain[0], yDomain[1])}
          width={56} label={{ value: yTitle, angle: -90, position: 'insideLeft', offset: 4, style: { textAnchor: 'middle' } }} />
        <Tooltip formatter={(v, name) => (name === 'size' ? formatBytes(Number(v)) : `${Number(v).toFixed(2)}%`)} />
        <Legend verticalAlign="top" height={44} content={() => <SeriesLegend entries={methods.map((name, i) => ({ name, style: seriesStyle(i) }))} />} />
        {methods.map((m, i) => {
          const style = seriesStyle(i);
          return <Scatter key={m} name={m} data={data.filter((r) => r.method === m).map((r) => ({ bytes: r.bytes, accuracy: 100 * r.accuracy }))}
            fill={style.colour} stroke={style.colour} shape={scatterShape(style)} line={m !== 'int8 dense'} isAnimationActive={false} />;
        })}
        <CurrentPoint />
      </ScatterChart>}
    </div>
  );
});
