import { memo, useDeferredValue, useMemo } from 'react';
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { selectSpectrum } from '../store/selectors';
import { RankMarker } from './chartMarks';
import { useLab } from './useLab';

/**
 * The selected layer's singular values on a log scale, with the slider's
 * rank marked and what the cut discards: the relative Frobenius error of the
 * best rank-k approximation and the relative spectral error s_{k+1}/s_1.
 *
 * The chart itself depends only on the layer and its spectrum (a deferred
 * copy, drawn at low priority); the rank marker and the note follow the
 * slider without redrawing it (chartMarks.tsx).
 */
export function SpectrumChart() {
  const view = useLab(useShallow(selectSpectrum));
  const layer = view?.layer;
  const values = view?.values;
  const chart = useDeferredValue(useMemo(() => (layer && values ? { layer, values } : null), [layer, values]));
  if (!view) return null;
  return (
    <section className="chart" aria-label={`Singular values of ${view.layer}`}>
      <header><h2>Singular values: {view.layer}</h2></header>
      <p className="note" data-testid="spectrum-errors">
        rank {view.rank} drops {(100 * view.relativeError).toFixed(2)}% of ‖W‖<sub>F</sub>; spectral error s<sub>k+1</sub>/s<sub>1</sub> = {view.spectralError.toFixed(4)}
      </p>
      {chart && <SpectrumPlot layer={chart.layer} values={chart.values} />}
    </section>
  );
}

const SpectrumPlot = memo(function SpectrumPlot({ layer, values }: { layer: string; values: Float64Array }) {
  const data = useMemo(() => Array.from(values, (s, i) => ({ index: i + 1, sigma: Math.max(s, 1e-12) })), [values]);
  return (
    <LineChart width={520} height={180} data={data} margin={{ top: 8, right: 16, bottom: 20, left: 8 }}>
      <CartesianGrid strokeDasharray="3 3" />
      <XAxis dataKey="index" type="number" domain={[1, data.length]} label={{ value: 'i', position: 'insideBottom', offset: -10 }} />
      <YAxis dataKey="sigma" scale="log" domain={['auto', 'auto']} width={56} tickFormatter={(v: number) => v.toPrecision(2)} />
      <Tooltip formatter={(v) => Number(v).toPrecision(4)} labelFormatter={(i) => `s_${i}`} />
      <Line type="monotone" dataKey="sigma" stroke="#6b4fbb" dot={false} isAnimationActive={false} />
      <RankMarker layer={layer} fallback={values.length} />
    </LineChart>
  );
});
