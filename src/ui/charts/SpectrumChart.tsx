import { memo, useDeferredValue, useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { breakEvenRank, selectSpectrumChart, spectrumPoints } from '../../store/chartSelectors';
import { selectSpectrum } from '../../store/selectors';
import { useLab } from '../useLab';
import { Explain } from '../explain/Explain';
import { formatLogTick, logDomain, logTicks, rankTicks } from './axes';
import { BottomAxis, linearScale, logScale, PlotGrid, PlotSurface, SideAxis, type Scale } from './plainPlot';
import { ChartFrame } from './ChartFrame';
import { KeyItem, PointMarks, RankMarker, VerticalMark } from './chartMarks';
import { ON_SCREEN_STYLE, REFERENCE_COLOUR, seriesStyle } from './palette';

type SpectrumData = ReturnType<typeof selectSpectrumChart>;

/**
 * Layers whose drawn spectrum stays mounted (hidden) after another layer is
 * selected, so going back to one shows it without a redraw. Kept when the
 * chart was recharts', whose redraw cost 100-280 ms of main thread on the
 * 2-core CI machine while moves were scored (the long-session run, issue 11);
 * the plain-SVG chart's first draw stays under 30 ms there, so what keeping
 * saves now is smaller and not measured apart. A hidden chart costs only its DOM.
 */
const KEPT_LAYERS = 6;

/** The series' styles: the layer's values, the channel groups' values, the cumulative energy. */
const LAYER_STYLE = seriesStyle(0);
const GROUP_STYLE = seriesStyle(1);
const ENERGY_STYLE = seriesStyle(2);

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
  const shown = useDeferredValue(chart);
  const kept = useKeptPerLayer(shown);
  return <>{kept.map((d) => <SpectrumPlot key={d.layer} data={d} active={d.layer === shown.layer} />)}</>;
}

/**
 * The last KEPT_LAYERS spectra drawn, one per layer, in the order first
 * drawn (so a layer's chart keeps its place among its siblings and is not
 * remounted): the shown one replaces its layer's entry. A spectrum that
 * changed (another model, ALDS groups) replaces the old one by the same key.
 */
function useKeptPerLayer(shown: SpectrumData): SpectrumData[] {
  const kept = useRef(new Map<string, SpectrumData>());
  return useMemo(() => {
    const map = kept.current;
    // A new model's layers replace every kept chart (their spectra belong to the old one).
    for (const [layer, d] of map) if (d.of !== shown.of) map.delete(layer);
    if (shown.layer && shown.values) {
      if (!map.has(shown.layer) && map.size >= KEPT_LAYERS) {
        const oldest = [...map.keys()].find((l) => l !== shown.layer);
        if (oldest !== undefined) map.delete(oldest);
      }
      map.set(shown.layer, shown);
    }
    return [...map.values()];
  }, [shown]);
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

/**
 * One layer's spectrum in its frame; hidden, and without test ids, while
 * another layer is selected. Hidden by `content-visibility: hidden` (class
 * kept-hidden), not display: none: the browser keeps the chart's style and
 * layout, so showing it again restyles and lays out none of its few hundred
 * SVG nodes (the long session's moves hop between layers: its style
 * recalculation fell from 465-544 ms to 276-328 ms a session). `inert` keeps
 * its controls out of the tab order and the accessibility tree meanwhile.
 */
const SpectrumPlot = memo(function SpectrumPlot({ data: s, active }: { data: SpectrumData; active: boolean }) {
  const points = useMemo(() => (s.values ? spectrumPoints(s.values) : []), [s.values]);
  const groupPoints = useMemo(() => (s.groupSpectra ?? []).flatMap((g, group) => spectrumPoints(g).map((p) => ({ ...p, group: group + 1 }))), [s.groupSpectra]);
  if (!s.layer || !s.values || !s.kernelShape) return null;
  const [m, n] = s.kernelShape;
  const breakEven = breakEvenRank(m, n, s.groups);
  const table = {
    caption: `Singular values of ${s.layer} (${m}×${n}) and the cumulative energy they keep${s.groupSpectra ? `; the ${s.groups} channel groups' values are drawn only` : ''}`,
    columns: ['i', 'singular value s_i', 'cumulative energy (%)'],
    rows: points.map((p) => [p.index, p.sigma.toPrecision(4), p.energy.toFixed(2)]),
  };
  return (
    <div className={active ? undefined : 'kept-hidden'} inert={!active}>
      <ChartFrame id={active ? 'spectrum' : `spectrum-kept-${s.layer}`} title={`Singular values: ${s.layer}`} label={`Singular values of ${s.layer}`} table={table}>
        {active && <SpectrumNote />}
        {s.topKBound !== null && (
          <p className="note" data-testid={active ? 'spectrum-topk-bound' : undefined}>
            top-k estimate: the {s.values.length} largest singular values only, from a randomized SVD; each is within ±{(100 * s.topKBound).toPrecision(2)}% of a true singular value (residual bound) and none is overstated.
          </p>
        )}
        <div data-testid={active ? 'spectrum-chart' : undefined} data-points={points.length} data-break-even={breakEven}>
          <SpectrumCanvas layer={s.layer} points={points} groupPoints={groupPoints} groups={s.groups} breakEven={breakEven} />
        </div>
        <p className="chart-keys">
          <KeyItem style={LAYER_STYLE} text="s_i of the layer" />
          {groupPoints.length > 0 && <KeyItem style={GROUP_STYLE} text={`${s.groups} channel groups`} />}
          <KeyItem style={ENERGY_STYLE} text="cumulative energy" line="curve" />
          <KeyItem style={ON_SCREEN_STYLE} text="rank on screen" line />
          <KeyItem style={{ colour: REFERENCE_COLOUR, shape: 'circle' }} text={`break-even rank ⌊mn/(m+${s.groups > 1 ? `${s.groups}n` : 'n'})⌋: factors stop saving parameters`} line />
          <Explain term="break-even-rank" />
        </p>
      </ChartFrame>
    </div>
  );
});

type SpectrumPoint = ReturnType<typeof spectrumPoints>[number];

/** The chart's size and its plot area inside it, in SVG units (the axes' room around the plot: ticks and titles). */
const WIDTH = 520;
const HEIGHT = 280;
const AREA = { x: 76, y: 8, width: 388, height: 214 };
const LEFT_AXIS_WIDTH = 64;
const RIGHT_AXIS_WIDTH = 48;
const ENERGY_TICKS = [0, 25, 50, 75, 100];

/**
 * The chart itself, drawn again only when its layer's values, groups or
 * break-even rank change: plain SVG (plainPlot.tsx), the points as markers
 * (PointMarks), the energy as a polyline, the slider's rank a mark that
 * follows the store. Hovering the plot, or the arrow keys while it has focus,
 * show one index's values (SpectrumTip).
 */
const SpectrumCanvas = memo(function SpectrumCanvas({ layer, points, groupPoints, groups, breakEven }: {
  layer: string; points: SpectrumPoint[]; groupPoints: Array<SpectrumPoint & { group: number }>; groups: number; breakEven: number;
}) {
  const scales = useMemo(() => {
    const sigmas = points.concat(groupPoints).map((p) => p.sigma);
    const yDomain = logDomain(Math.min(...sigmas), Math.max(...sigmas));
    // Half a step of room at each end, so the first and last singular values are whole markers, not halves on the frame.
    const x = linearScale([0.5, points.length + 0.5], AREA.x, AREA.x + AREA.width);
    const sigma = logScale(yDomain, AREA.y + AREA.height, AREA.y);
    const energy = linearScale([0, 100], AREA.y + AREA.height, AREA.y);
    return { x, y: { sigma, energy }, area: AREA, sigmaTicks: logTicks(yDomain), xTicks: rankTicks(points.length, false) };
  }, [points, groupPoints]);
  const layerMarks = useMemo(() => points.map((p) => ({ x: p.index, y: p.sigma })), [points]);
  const groupMarks = useMemo(() => groupPoints.map((p) => ({ x: p.index, y: p.sigma })), [groupPoints]);
  const energyPath = useMemo(() => points.map((p) => `${scales.x(p.index).toFixed(2)},${scales.y.energy(p.energy).toFixed(2)}`).join(' '), [points, scales]);
  const [active, setActive] = useState<number | null>(null);
  const size = markerArea(points.length);
  const indexAt = (event: PointerEvent<SVGSVGElement>) => {
    const box = event.currentTarget.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * WIDTH;
    if (px < AREA.x || px > AREA.x + AREA.width) return null;
    return Math.min(points.length, Math.max(1, Math.round(0.5 + ((px - AREA.x) / AREA.width) * points.length)));
  };
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const step: Record<string, (i: number) => number> = {
      ArrowLeft: (i) => i - 1, ArrowDown: (i) => i - 1, ArrowRight: (i) => i + 1, ArrowUp: (i) => i + 1, Home: () => 1, End: () => points.length,
    };
    const move = step[event.key];
    if (!move) return;
    event.preventDefault();
    setActive((i) => Math.min(points.length, Math.max(1, move(i ?? 0))));
  };
  // The drawing itself is one memoized element: the tip's state changes on pointer moves and redraws only the tip.
  const drawing = useMemo(() => (
    <>
      <PlotGrid xTicks={scales.xTicks} yTicks={scales.sigmaTicks} x={scales.x} y={scales.y.sigma} area={AREA} />
      <BottomAxis ticks={scales.xTicks} scale={scales.x} area={AREA} label={`index i (rank k) of ${layer}`} />
      <SideAxis side="left" ticks={scales.sigmaTicks} scale={scales.y.sigma} area={AREA} width={LEFT_AXIS_WIDTH} label="singular value s_i (log)" format={formatLogTick} />
      <SideAxis side="right" ticks={ENERGY_TICKS} scale={scales.y.energy} area={AREA} width={RIGHT_AXIS_WIDTH} label="cum. energy (%)" />
      <polyline className="energy-curve" points={energyPath} fill="none" stroke={ENERGY_STYLE.colour} strokeWidth={1.5} />
      {/* Marker area in px²: smaller markers when hundreds of values share the axis, so they stay apart. */}
      {groupMarks.length > 0 && <PointMarks points={groupMarks} yAxisId="sigma" style={GROUP_STYLE} size={size} className={`group-spectra groups-${groups}`} opacity={0.6} />}
      <PointMarks points={layerMarks} yAxisId="sigma" style={LAYER_STYLE} size={size} className="layer-spectrum" />
      <VerticalMark x={breakEven} label={`break-even ${breakEven}`} className="break-even-marker" colour={REFERENCE_COLOUR} dashed row={1} />
      <RankMarker layer={layer} fallback={points.length} />
    </>
  ), [scales, energyPath, layerMarks, groupMarks, size, groups, breakEven, layer]);
  return (
    <PlotSurface width={WIDTH} height={HEIGHT} scales={scales}
      label={`Singular values of ${layer}; the arrow keys step through them`}
      onPointerMove={(e) => setActive(indexAt(e))} onPointerLeave={() => setActive(null)}
      onKeyDown={onKeyDown} onFocus={() => setActive((i) => i ?? 1)} onBlur={() => setActive(null)}>
      {drawing}
      {active !== null && points[active - 1] && <SpectrumTip point={points[active - 1]} x={scales.x} energy={scales.y.energy} />}
    </PlotSurface>
  );
});

/** One index's values where the pointer (or the keyboard) is: a cursor line, a dot on the energy curve, and s_i and the energy kept by rank i in a box. */
function SpectrumTip({ point: p, x, energy }: { point: SpectrumPoint; x: Scale; energy: Scale }) {
  const px = x(p.index);
  const lines = [`i = ${p.index}`, `s_i = ${p.sigma.toPrecision(4)}`, `cumulative energy ${p.energy.toFixed(2)}%`];
  const boxWidth = 200;
  const boxHeight = 16 + 18 * lines.length;
  // The box sits right of the cursor, or left of it in the plot's right half, so it stays inside.
  const left = px > AREA.x + AREA.width / 2 ? px - 12 - boxWidth : px + 12;
  const top = AREA.y + AREA.height / 2 - boxHeight / 2;
  return (
    <g className="spectrum-tip" data-index={p.index} pointerEvents="none">
      <line x1={px} x2={px} y1={AREA.y} y2={AREA.y + AREA.height} stroke="#ccc" />
      <circle cx={px} cy={energy(p.energy)} r={4} fill={ENERGY_STYLE.colour} stroke="#fff" strokeWidth={2} />
      <rect x={left} y={top} width={boxWidth} height={boxHeight} fill="#fff" stroke="#ccc" />
      {lines.map((line, i) => <text key={i} x={left + 8} y={top + 22 + 18 * i} fill="#111827">{line}</text>)}
    </g>
  );
}
