import { DefaultZIndexes, usePlotArea, useXAxisScale, useYAxisScale, ZIndexLayer } from 'recharts';
import { selectPlanKey } from '../store/selectors';
import { useLab } from './useLab';

/**
 * Marks of the configuration on screen, drawn inside a recharts chart by
 * components that read the lab store themselves: a slider move redraws a
 * line or a dot, not the chart around it (a full recharts redraw of the
 * three charts cost more than scoring the move).
 */

/** A vertical line at `layer`'s rank in the plan (`fallback` when the layer is unranked). */
export function RankMarker({ layer, fallback }: { layer: string; fallback: number }) {
  const rank = useLab((s) => s.plan[layer]) ?? fallback;
  const x = useXAxisScale();
  const area = usePlotArea();
  const px = x?.(rank);
  if (px === undefined || !area) return null;
  return (
    <ZIndexLayer zIndex={DefaultZIndexes.line + 1}>
      <line className="rank-marker" data-rank={rank} x1={px} x2={px} y1={area.y} y2={area.y + area.height} stroke="#d33" strokeWidth={1.5} />
    </ZIndexLayer>
  );
}

/** The configuration on screen as a dot on the size/accuracy chart, once it has a result. */
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
      {shown && <circle className="current-point" data-testid="current-point" cx={cx} cy={cy} r={5} fill="#d33" stroke="#fff" strokeWidth={1} />}
    </ZIndexLayer>
  );
}
