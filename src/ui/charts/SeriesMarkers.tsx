import type { ReactElement } from 'react';
import { Symbols } from 'recharts';
import type { MarkerShape, SeriesStyle } from './palette';

/**
 * Markers drawn from a SeriesStyle, filled or as outlines, in the three
 * places a series shows them: its points (Scatter `shape`), the chart's
 * legend and the frame's own keys. recharts draws only filled symbols and
 * colours its legend icons with the series' fill, so outlined series (the
 * 7th to 12th, palette.ts) draw their points and legend icons here.
 */

/** Area of a point's marker in square pixels, recharts' own default for Scatter symbols. */
const POINT_SIZE = 64;

/** One marker at (cx, cy): the style's shape, filled with its colour, or white with a coloured outline when hollow. */
export function Marker({ style, cx, cy, size = POINT_SIZE }: { style: SeriesStyle; cx: number; cy: number; size?: number }) {
  return style.hollow
    ? <Symbols cx={cx} cy={cy} type={style.shape} size={size} fill="#fff" stroke={style.colour} strokeWidth={1.5} />
    : <Symbols cx={cx} cy={cy} type={style.shape} size={size} fill={style.colour} />;
}

/**
 * What to pass as a Scatter's `shape`: the symbol's name when it is filled
 * (recharts draws it), else a function drawing the outline at each point.
 */
export function scatterShape(style: SeriesStyle): MarkerShape | ((props: { cx?: number; cy?: number }) => ReactElement) {
  if (!style.hollow) return style.shape;
  return function OutlinedPoint({ cx = 0, cy = 0 }: { cx?: number; cy?: number }) {
    return <Marker style={style} cx={cx} cy={cy} />;
  };
}

/**
 * A 14 x 14 icon of the style's marker, for legends and keys; `line` draws a
 * vertical line instead (marks drawn as lines), `'curve'` a horizontal one
 * (a series drawn as a curve).
 */
export function MarkerIcon({ style, line }: { style: SeriesStyle; line?: boolean | 'curve' }) {
  return (
    <svg width={14} height={14} viewBox="0 0 14 14" aria-hidden="true">
      {line === 'curve'
        ? <line x1={0} x2={14} y1={7} y2={7} stroke={style.colour} strokeWidth={2} />
        : line
          ? <line x1={7} x2={7} y1={0} y2={14} stroke={style.colour} strokeWidth={2} />
          : <Marker style={style} cx={7} cy={7} size={70} />}
    </svg>
  );
}

/**
 * A chart's legend, one entry per series with its own marker (filled or
 * outlined), for recharts' `<Legend content>`. It keeps recharts' class
 * names, so the exports (chartExport.ts) and tests find the entries as they
 * find recharts' own. Names are in the text colour, not the series' (yellow
 * text on white fails contrast); the marker carries the colour.
 */
export function SeriesLegend({ entries }: { entries: ReadonlyArray<{ name: string; style: SeriesStyle; faded?: boolean }> }) {
  return (
    <ul className="recharts-default-legend series-legend">
      {entries.map((e) => (
        <li key={e.name} className="recharts-legend-item" style={{ opacity: e.faded ? 0.5 : 1 }}>
          <MarkerIcon style={e.style} />
          <span className="recharts-legend-item-text">{e.name}</span>
        </li>
      ))}
    </ul>
  );
}
