import { averageRowBlocks, blockAverage, blockAveragedProduct, blockGrid, difference, type BlockGrid } from '../core/heatmap';
import { divergingRgba, divergingStops, greyRgba, maxAbsOf, type ColorStop } from '../core/colorScale';
import { column, projectOnColumns } from '../core/directions';
import { relativeTruncationError } from '../core/factors';
import { greyImageFromBytes } from '../core/imageSvd';
import { asRank } from '../core/units';
import type { MnistSample } from '../core/mnist';
import type { LayerMatrices } from '../model/layerMatrices';
import { memoLast } from './memo';
import type { LabState } from './types';

/**
 * What the singular-vector and heatmap views draw, derived from the plain
 * matrices the views slice publishes. Every picture comes as RGBA bytes
 * (ImageData order) with its size, so a component only copies it into a
 * canvas. Memoized: the parts that do not depend on the rank are computed
 * once per layer, a slider move recomputes only W_k's cells or the digit's
 * projection.
 */

/** A picture ready for a canvas: rows x cols pixels as RGBA bytes. */
export interface RgbaPicture {
  rows: number;
  cols: number;
  rgba: Uint8ClampedArray;
}

/** Directions drawn per layer: the strongest 16. */
export const DIRECTIONS_SHOWN = 16;
/** Most heatmap cells along a side; larger layers are block-averaged down to this. */
export const HEATMAP_MAX_CELLS = 256;

/** The rank the layer's slider sets: its plan entry, or its full SVD rank when it has none. */
function sliderRank(state: Pick<LabState, 'plan'>, m: LayerMatrices): number {
  return Math.min(state.plan[m.layer] ?? m.r, m.r);
}

/** The singular-vector view of the first layer: its top directions as pictures and a test digit seen through the top k. */
export interface SingularImagesView {
  layer: string;
  m: number;
  n: number;
  r: number;
  k: number;
  layout: 'image' | 'filters';
  /** For a convolution with several input channels, which one the tiles show. */
  channelNote: string | null;
  tiles: Array<RgbaPicture & { index: number; sigma: number }>;
  /** A Dense layer on the flat image: digit `index` (grey) and its projection U_k U_k^T x (diverging, at its own max |value|); null for a convolution. */
  digit: { index: number; label: number; original: RgbaPicture; projected: RgbaPicture; relativeError: number } | null;
}

const directionTiles = memoLast((m: LayerMatrices): SingularImagesView['tiles'] => {
  const layout = m.directions;
  if (layout.kind === 'none') return [];
  const size = layout.rows * layout.cols;
  return Array.from({ length: Math.min(DIRECTIONS_SHOWN, m.r) }, (_, c) => {
    // A convolution's direction is c_in filters of kh x kw: the first channel's taps come first.
    const values = column(m.u, m.m, m.r, c).subarray(0, size);
    return { index: c, sigma: m.s[c], rows: layout.rows, cols: layout.cols, rgba: divergingRgba(values, maxAbsOf(values)) };
  });
});

const digitPixels = memoLast((sample: MnistSample, index: number) => greyImageFromBytes(sample.pixels, sample.rows, sample.cols, index * sample.rows * sample.cols));

const projectedDigit = memoLast((m: LayerMatrices, k: number, sample: MnistSample, index: number): SingularImagesView['digit'] => {
  const x = digitPixels(sample, index);
  const projected = projectOnColumns(m.u, m.m, m.r, x.pixels, k);
  let err = 0;
  let norm = 0;
  for (let i = 0; i < m.m; i++) {
    err += (x.pixels[i] - projected[i]) ** 2;
    norm += x.pixels[i] ** 2;
  }
  const picture = (rgba: Uint8ClampedArray) => ({ rows: x.rows, cols: x.cols, rgba });
  // The projection has negative pixels and, at low k, a small range: drawn on the diverging scale at its own max.
  return {
    index, label: sample.labels[index], original: picture(greyRgba(x.pixels)), projected: picture(divergingRgba(projected, maxAbsOf(projected))),
    relativeError: norm > 0 ? Math.sqrt(err / norm) : 0,
  };
});

const singularImages = memoLast((m: LayerMatrices, k: number, sample: MnistSample | null, digit: number): SingularImagesView | { why: string } => {
  const layout = m.directions;
  if (layout.kind === 'none') return { why: layout.why };
  return {
    layer: m.layer, m: m.m, n: m.n, r: m.r, k,
    layout: layout.kind,
    channelNote: layout.kind === 'filters' && layout.channels > 1 ? `input channel 1 of ${layout.channels} shown` : null,
    tiles: directionTiles(m),
    digit: layout.kind === 'image' && sample && digit < sample.count && sample.rows * sample.cols === m.m ? projectedDigit(m, k, sample, digit) : null,
  };
});

/**
 * The singular-vector view of the open model's first layer, or `{ why }`
 * when it does not apply (no factorizable first layer, or one that does
 * not read the 28 x 28 image), or null before a model is open.
 */
export function selectSingularImages(state: LabState): SingularImagesView | { why: string } | null {
  const { viewMatrices } = state;
  if (viewMatrices.layers !== state.layers || state.layers.length === 0) return null;
  if (!viewMatrices.firstLayer) return NO_FIRST_LAYER;
  const m = viewMatrices.byLayer[viewMatrices.firstLayer];
  return singularImages(m, sliderRank(state, m), state.viewSample, state.viewDigit);
}

const NO_FIRST_LAYER = { why: "the model's first layer with weights is not one the lab factorizes, so no layer's directions live in pixel space." };

/** Heatmaps of W, W_k and W - W_k of one layer on one shared colour scale. */
export interface HeatmapsView {
  layer: string;
  k: number;
  r: number;
  grid: BlockGrid;
  /** The scale's end: the largest |cell| of W; every picture saturates at +-maxAbs. */
  maxAbs: number;
  w: RgbaPicture;
  wk: RgbaPicture;
  residual: RgbaPicture;
  stops: ColorStop[];
  /** ||W - W_k||_F / ||W||_F from the spectrum. */
  relativeError: number;
  /** What W's rows are, in words: "784 inputs", or a convolution's "25 window taps (1 x 5 x 5, c_in x kh x kw)". */
  rowsAre: string;
}

/** Rank-independent parts of a layer's heatmaps: the cells of W and the block means of U's and V's rows. */
const heatmapBase = memoLast((m: LayerMatrices) => {
  const grid = blockGrid(m.m, m.n, HEATMAP_MAX_CELLS);
  const cells = blockAverage(m.kernel, grid);
  const maxAbs = maxAbsOf(cells);
  return {
    grid, cells, maxAbs,
    uMeans: averageRowBlocks(m.u, m.m, m.r, grid.blockRows),
    vMeans: averageRowBlocks(m.v, m.n, m.r, grid.blockCols),
    w: { rows: grid.rows, cols: grid.cols, rgba: divergingRgba(cells, maxAbs) },
    stops: divergingStops(maxAbs, 5),
  };
});

const heatmaps = memoLast((m: LayerMatrices, k: number): HeatmapsView => {
  const base = heatmapBase(m);
  const { grid, maxAbs } = base;
  const wk = blockAveragedProduct(base.uMeans, m.s, base.vMeans, m.r, k);
  const picture = (v: Float64Array) => ({ rows: grid.rows, cols: grid.cols, rgba: divergingRgba(v, maxAbs) });
  return {
    layer: m.layer, k, r: m.r, grid, maxAbs,
    w: base.w, wk: picture(wk), residual: picture(difference(base.cells, wk)),
    stops: base.stops,
    relativeError: relativeTruncationError(m, asRank(Math.max(1, k))),
    rowsAre: m.weightShape.length === 4 ? `${m.m} window taps (${m.weightShape[2]} x ${m.weightShape[0]} x ${m.weightShape[1]}, c_in x kh x kw)` : `${m.m} inputs`,
  };
});

/** The heatmaps of the selected layer at its slider's rank, or null when no layer with an SVD is selected. */
export function selectHeatmaps(state: LabState): HeatmapsView | null {
  const { viewMatrices, selectedLayer } = state;
  if (viewMatrices.layers !== state.layers || !selectedLayer) return null;
  const m = viewMatrices.byLayer[selectedLayer];
  return m ? heatmaps(m, sliderRank(state, m)) : null;
}
