import { DefaultZIndexes, Symbols, usePlotArea, useXAxisScale, useYAxisScale, ZIndexLayer } from 'recharts';
import { useMarkScales } from './plainPlot';
import { selectPlanKey } from '../../store/selectors';
import { useLab } from '../useLab';
import { ON_SCREEN_STYLE, type SeriesStyle } from './palette';
import { Marker, MarkerIcon } from './SeriesMarkers';

/**
 * Marks of the configuration on screen, drawn inside a recharts chart (or a
 * plain one, plainPlot.tsx, where the mark reads its scales from there) by
 * components that read the lab store themselves: a slider move redraws a
 * line or a dot, not the chart around it (a full recharts redraw of the
 * three charts cost more than scoring the move).
 */

/**
 * A labelled vertical line at `x` in the chart's x units (nothing when `x`
 * is off the axis). `className` and `data-rank` let tests and styles find it.
 * `row` puts the label on a line of its own below the top (0 = first), so two
 * marks at nearby x (the rank on screen at the break-even rank) never write
 * their labels over each other.
 */
export function VerticalMark({ x, label, className, colour, dashed, row = 0 }: { x: number; label: string; className: string; colour: string; dashed?: boolean; row?: number }) {
  const scales = useMarkScales();
  const px = scales?.x(x);
  const area = scales?.area;
  if (px === undefined || !Number.isFinite(px) || !area || px < area.x - 0.5 || px > area.x + area.width + 0.5) return null;
  // Labels near the right edge are written leftwards so they stay inside the plot; a white halo keeps them legible over lines.
  const leftwards = px > area.x + 0.75 * area.width;
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.line + 1}>
      <g className={className} data-rank={x}>
        <line x1={px} x2={px} y1={area.y} y2={area.y + area.height} stroke={colour} strokeWidth={1.5} strokeDasharray={dashed ? '5 3' : undefined} />
        <text x={px + (leftwards ? -4 : 4)} y={area.y + 12 + 14 * row} fontSize={11} fill={colour} textAnchor={leftwards ? 'end' : 'start'}
          stroke="#fff" strokeWidth={3} paintOrder="stroke">{label}</text>
      </g>
    </ZIndexLayer>
  );
}

/** A vertical line at `layer`'s rank in the plan (`fallback` when the layer is unranked), labelled "k = ...". */
export function RankMarker({ layer, fallback }: { layer: string; fallback: number }) {
  const rank = useLab((s) => s.plan[layer]) ?? fallback;
  return <VerticalMark x={rank} label={`k = ${rank}`} className="rank-marker" colour={ON_SCREEN_STYLE.colour} />;
}

/** The configuration on screen as a black star on a size/accuracy chart, once it has a result. */
export function CurrentPoint() {
  const point = useLab((s) => {
    const key = selectPlanKey(s);
    return s.history.find((h) => h.key === key);
  });
  const x = useXAxisScale();
  const y = useYAxisScale();
  const area = usePlotArea();
  if (!x || !y || !area) return null;
  const cx = point ? x(point.bytes) : undefined;
  const cy = point ? y(100 * point.accuracy) : undefined;
  // Until the throttled points catch up, the dot may lie outside the axes' range: it is not drawn there.
  const shown = cx !== undefined && cy !== undefined && cy >= area.y && cy <= area.y + area.height;
  // The layer stays mounted while a move is scored: mounting one registers it in recharts' own store,
  // which redraws the whole chart on the next frame (8-24 ms a move, slider moves back to back).
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.scatter + 1}>
      {shown && (
        <g className="current-point" data-testid="current-point">
          <Symbols cx={cx} cy={cy} type={ON_SCREEN_STYLE.shape} size={160} fill={ON_SCREEN_STYLE.colour} stroke="#fff" strokeWidth={1} />
        </g>
      )}
    </ZIndexLayer>
  );
}

/**
 * Points as plain markers at (x, y) in the units of the x axis and the axis
 * `yAxisId`, one <Symbols> each inside a <g> of `className`, with a native
 * tooltip where a point has a `title`. recharts' Scatter renders several
 * components per point and draws them all twice per data change; for the
 * spectrum at each layer change and the size chart's growing history that
 * was most of the 100-280 ms main-thread tasks of the long-session run.
 */
export function PointMarks({ points, yAxisId, style, size, className, opacity = 1 }: {
  points: ReadonlyArray<{ x: number; y: number; title?: string }>; yAxisId?: string; style: SeriesStyle; size: number; className: string; opacity?: number;
}) {
  const scales = useMarkScales(yAxisId);
  const xs = scales?.x;
  const ys = scales?.y;
  if (!xs || !ys) return null;
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.scatter}>
      <g className={className} fillOpacity={opacity}>
        {points.map((p, i) => {
          const cx = xs(p.x);
          const cy = ys(p.y);
          if (cx === undefined || cy === undefined || !Number.isFinite(cx) || !Number.isFinite(cy)) return null;
          const marker = <Marker key={i} style={style} cx={cx} cy={cy} size={size} />;
          return p.title === undefined ? marker : <g key={i} className="point-mark"><title>{p.title}</title>{marker}</g>;
        })}
      </g>
    </ZIndexLayer>
  );
}

/** A legend entry outside recharts' legend (the exports pick it up by its class): a marker and a text. */
export function KeyItem({ style, text, line }: { style: SeriesStyle; text: string; line?: boolean | 'curve' }) {
  return (
    <span className="chart-key-item">
      <MarkerIcon style={style} line={line} />
      {text}
    </span>
  );
}
