/**
 * The colours and marker shapes every chart draws its series with. Colours
 * are Okabe and Ito's palette ("Color Universal Design", 2002), chosen to
 * stay apart for the common colour-vision deficiencies; each series also
 * gets its own marker shape, so two series never rely on colour alone
 * (the old comparison chart's svd and svd+int8 were blue and orange
 * circles, which protanopes read as nearly the same).
 */

/** A recharts symbol name (Scatter `shape`, Legend `legendType`). */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'cross' | 'wye' | 'star';

/** Okabe-Ito's colours in the order series take them; black is kept for the configuration on screen, yellow last (weak on white). */
export const SERIES_COLOURS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'] as const;

/** Marker shapes in the order series take them; the star is kept for the configuration on screen. */
export const SERIES_SHAPES: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'cross', 'wye'];

/** How one series is drawn: its colour (CSS hex), marker shape, and whether the marker is an outline (hollow) or filled. */
export interface SeriesStyle {
  colour: string;
  shape: MarkerShape;
  hollow?: boolean;
}

/**
 * The style of the `index`-th series of a chart (0-based). Colour and shape
 * advance together, so the first 6 series differ in both and no two of the
 * first 42 share both (7 colours, 6 shapes, coprime counts). Series 7-12
 * take the 6 shapes again as outlines, so the first 12 (the comparison has 8
 * methods) differ by marker alone, without relying on colour.
 */
export function seriesStyle(index: number): SeriesStyle {
  const i = Math.max(0, Math.floor(index));
  const round = Math.floor(i / SERIES_SHAPES.length);
  return { colour: SERIES_COLOURS[i % SERIES_COLOURS.length], shape: SERIES_SHAPES[i % SERIES_SHAPES.length], hollow: round % 2 === 1 };
}

/** The configuration on screen, on every chart that marks it: a black star, a shape no series uses. */
export const ON_SCREEN_STYLE: SeriesStyle = { colour: '#000000', shape: 'star' };

/** Reference lines (the original model's accuracy, the break-even rank): grey, dashed. */
export const REFERENCE_COLOUR = '#6b7280';
