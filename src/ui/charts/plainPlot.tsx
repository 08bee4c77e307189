import { createContext, useContext, type ReactNode, type SVGProps } from 'react';
import { usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';
import type { AxisDomain } from './axes';

/**
 * A chart drawn as plain SVG, for a chart that is mounted often: the
 * spectrum mounts once per layer shown, and a recharts chart's first draw
 * (its components registering in its own store, each registration drawing
 * the chart again before the task ends) took 46-111 ms of one main-thread
 * task on the 2-core CI machine, on an idle page. The marks of chartMarks.tsx draw in either
 * kind of chart: they read the scales from PlotScales here or from recharts.
 */

/** The plot's inner rectangle in SVG units. */
export interface PlotArea { x: number; y: number; width: number; height: number }

/** A map from data units to SVG units along one axis. */
export type Scale = (value: number) => number;

/** A scale as a mark reads it: recharts' scales give undefined for values outside their domain type. */
export type MarkScale = (value: number) => number | undefined;

/** What a plain plot tells the marks inside it: its x scale, its y scales by axis id, its plot area. */
export interface PlotScales { x: Scale; y: Readonly<Record<string, Scale>>; area: PlotArea }

const PlotContext = createContext<PlotScales | null>(null);

/** `domain` onto [from, to], linearly. */
export function linearScale(domain: AxisDomain, from: number, to: number): Scale {
  const [lo, hi] = domain;
  return (v) => from + ((v - lo) / (hi - lo)) * (to - from);
}

/** `domain` (both ends > 0) onto [from, to], linearly in log10; not finite for values <= 0. */
export function logScale(domain: AxisDomain, from: number, to: number): Scale {
  const lo = Math.log10(domain[0]);
  const hi = Math.log10(domain[1]);
  return (v) => from + ((Math.log10(v) - lo) / (hi - lo)) * (to - from);
}

/**
 * The scales a mark draws with: the plain plot's around it, else recharts'
 * (undefined outside both, or before recharts has laid out its axes).
 */
export function useMarkScales(yAxisId?: string): { x: MarkScale; y?: MarkScale; area: PlotArea } | undefined {
  const plain = useContext(PlotContext);
  // recharts' hooks return undefined outside a recharts chart; both are called every render (rules of hooks).
  const x = useXAxisScale();
  const y = useYAxisScale(yAxisId);
  const area = usePlotArea();
  if (plain) return { x: plain.x, y: plain.y[yAxisId ?? 'y'], area: plain.area };
  if (!x || !area) return undefined;
  return { x, y, area };
}

/** Grey tick labels and dark axis lines, as recharts draws its axes. */
const TICK_COLOUR = '#666';
const LABEL_COLOUR = '#808080';
const TICK_SIZE = 6;
const TICK_MARGIN = 2;

/** Dashed grid lines at the given x and y values, behind everything else. */
export function PlotGrid({ xTicks, yTicks, x, y, area }: { xTicks: readonly number[]; yTicks: readonly number[]; x: Scale; y: Scale; area: PlotArea }) {
  return (
    <g className="plot-grid" stroke="#ccc" strokeDasharray="3 3" fill="none">
      {yTicks.map((t) => <line key={`y${t}`} x1={area.x} x2={area.x + area.width} y1={y(t)} y2={y(t)} />)}
      {xTicks.map((t) => <line key={`x${t}`} x1={x(t)} x2={x(t)} y1={area.y} y2={area.y + area.height} />)}
    </g>
  );
}

/** The x axis under the plot: its line, ticks, tick labels and a title below them. */
export function BottomAxis({ ticks, scale, area, label, format = String }: { ticks: readonly number[]; scale: Scale; area: PlotArea; label: string; format?: (v: number) => string }) {
  const y0 = area.y + area.height;
  return (
    <g className="plot-axis plot-x-axis">
      <line x1={area.x} x2={area.x + area.width} y1={y0} y2={y0} stroke={TICK_COLOUR} />
      {ticks.map((t) => (
        <g key={t}>
          <line x1={scale(t)} x2={scale(t)} y1={y0} y2={y0 + TICK_SIZE} stroke={TICK_COLOUR} />
          <text x={scale(t)} y={y0 + TICK_SIZE + TICK_MARGIN} dy="0.71em" textAnchor="middle" fill={TICK_COLOUR}>{format(t)}</text>
        </g>
      ))}
      <text x={area.x + area.width / 2} y={y0 + 40} textAnchor="middle" fill={LABEL_COLOUR}>{label}</text>
    </g>
  );
}

/**
 * A y axis on one side of the plot: its line, ticks, tick labels and a title
 * turned along the axis, `width` px out from the plot.
 */
export function SideAxis({ side, ticks, scale, area, width, label, format = String }: {
  side: 'left' | 'right'; ticks: readonly number[]; scale: Scale; area: PlotArea; width: number; label: string; format?: (v: number) => string;
}) {
  const left = side === 'left';
  const x0 = left ? area.x : area.x + area.width;
  const out = left ? -1 : 1;
  const titleX = x0 + out * (width - 8);
  const titleY = area.y + area.height / 2;
  return (
    <g className={`plot-axis plot-y-axis-${side}`}>
      <line x1={x0} x2={x0} y1={area.y} y2={area.y + area.height} stroke={TICK_COLOUR} />
      {ticks.map((t) => (
        <g key={t}>
          <line x1={x0} x2={x0 + out * TICK_SIZE} y1={scale(t)} y2={scale(t)} stroke={TICK_COLOUR} />
          <text x={x0 + out * (TICK_SIZE + TICK_MARGIN)} y={scale(t)} dy="0.355em" textAnchor={left ? 'end' : 'start'} fill={TICK_COLOUR}>{format(t)}</text>
        </g>
      ))}
      <text x={titleX} y={titleY} transform={`rotate(${left ? -90 : 90} ${titleX} ${titleY})`} textAnchor="middle" dominantBaseline="central" fill={LABEL_COLOUR}>{label}</text>
    </g>
  );
}

/**
 * The plot's SVG surface, `width` x `height` in its own units and scaled
 * down with the page (class plot-surface; the exports look for it), with the
 * scales set for the marks drawn inside it.
 */
export function PlotSurface({ width, height, scales, label, children, ...events }: {
  width: number; height: number; scales: PlotScales; label: string; children: ReactNode;
} & Pick<SVGProps<SVGSVGElement>, 'onPointerMove' | 'onPointerLeave' | 'onKeyDown' | 'onFocus' | 'onBlur'>) {
  return (
    <div className="plot-wrapper">
      <svg className="plot-surface" role="application" tabIndex={0} aria-label={label} width={width} height={height} viewBox={`0 0 ${width} ${height}`} {...events}>
        <PlotContext.Provider value={scales}>{children}</PlotContext.Provider>
      </svg>
    </div>
  );
}
