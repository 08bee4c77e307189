import { sweepBaseKey } from './sweepSlice';
import { selectScoreName } from './selectors';
import { memoLast } from './memo';
import type { HistoryPoint, LabState, SweepState } from './types';

/** A comparison row's knob setting, naming the layers it keeps dense (model/compare.ts), for the chart's table. */
export { knobSetting } from '../model/compare';

/**
 * The points of `points` whose `fields` are all finite numbers: NaN or
 * Infinity (a configuration whose numbers overflowed, see NonFiniteError)
 * is never drawn as a value or written into a chart's table.
 */
export function plottable<T>(points: readonly T[], fields: ReadonlyArray<keyof T>): T[] {
  return points.filter((p) => fields.every((f) => Number.isFinite(p[f] as unknown as number)));
}

/** The history as the size chart draws it (finite points only), the same array while the history is. */
const plottableHistory = memoLast((history: readonly HistoryPoint[]) => plottable(history, ['bytes', 'accuracy']));

/**
 * What the charts draw, derived from the store: the selector each chart
 * subscribes with (store references and flags only, so a slider move does
 * not redraw a chart) and the pure functions that turn those into points,
 * axes' marks and tables.
 */

/** The rank chart's inputs: the kept sweeps, which of them are out of date, and the selected layer. */
export function selectRankChart(st: LabState) {
  const layer = st.selectedLayer;
  return {
    layer,
    sweeps: st.sweeps,
    /** The last sweep started, running or finished. */
    last: st.sweep,
    // Only which sweeps are out of date, as a string: a slider move must not redraw the chart.
    staleIds: st.sweeps.filter((s) => s.baseKey !== sweepBaseKey(st, s.layer)).map((s) => s.id).join(','),
    layers: st.layers,
    original: st.original,
    score: selectScoreName(st),
    ready: st.phase === 'ready',
  };
}

/** One sweep as the rank chart draws it: a legend name and its points in percent. */
export interface RankSeries {
  id: number;
  layer: string;
  name: string;
  stale: boolean;
  points: Array<{ rank: number; accuracy: number }>;
}

/**
 * The rank chart's series, oldest first: one per kept sweep, named by layer
 * and method ("fc1, svd"); an older sweep of the same layer and method (at
 * other ranks of the other layers) is told apart by "earlier" and a sweep
 * made under other settings than the ones on screen by "out of date".
 */
export function rankSeries(sweeps: readonly SweepState[], staleIds: string): RankSeries[] {
  const stale = new Set(staleIds.split(',').filter(Boolean).map(Number));
  return sweeps.map((s, i) => {
    const later = sweeps.slice(i + 1).some((t) => t.layer === s.layer && t.method === s.method);
    const flags = [later ? 'earlier' : '', stale.has(s.id) ? 'out of date' : ''].filter(Boolean).join(', ');
    return {
      id: s.id, layer: s.layer, stale: stale.has(s.id),
      name: `${s.layer}, ${s.method}${flags ? ` (${flags})` : ''}`,
      points: plottable(s.points, ['rank', 'accuracy']).map((p) => ({ rank: p.rank, accuracy: 100 * p.accuracy })),
    };
  });
}

/** The spectrum view's inputs: the selected layer's singular values and shape, their top-k bound if any, and ALDS's groups when they apply. */
export function selectSpectrumChart(st: LabState) {
  const layer = st.selectedLayer;
  const info = st.layers.find((l) => l.name === layer);
  const values = layer ? st.spectra[layer] : undefined;
  const groups = st.method === 'alds' && layer ? st.groups[layer] ?? 1 : 1;
  const g = st.groupSpectra;
  return {
    layer,
    /** The model's spectra these values belong to (a new model's replace them all). */
    of: st.spectra,
    values: values && values.length > 0 ? values : null,
    /** Relative a-posteriori bound when the values come from the top-k SVD; null for a full SVD. */
    topKBound: layer ? st.spectrumBounds[layer] ?? null : null,
    kernelShape: info?.kernelShape ?? null,
    groups,
    groupSpectra: g && g.of === st.spectra && g.layer === layer && g.groups === groups ? g.spectra : null,
  };
}

/**
 * Cumulative energy of a spectrum in percent: entry i is
 * 100 (s_1^2 + ... + s_(i+1)^2) / (s_1^2 + ... + s_r^2), the share of
 * ||W||_F^2 that rank i + 1 keeps; all 100 for an all-zero spectrum.
 */
export function cumulativeEnergy(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] * values[i];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i] * values[i];
    out[i] = total > 0 ? (100 * sum) / total : 100;
  }
  return out;
}

/**
 * The break-even rank of an m x n kernel in `groups` channel groups,
 * floor(m n / (m + groups n)): at this rank the factors hold as many
 * parameters as the dense kernel, so only lower ranks save anything (the
 * lab keeps the layer dense from here up). At least 1.
 */
export function breakEvenRank(m: number, n: number, groups = 1): number {
  return Math.max(1, Math.floor((m * n) / (m + groups * n)));
}

/** The size chart's inputs: every configuration evaluated and the original model's size. */
export function selectSizeChart(st: LabState) {
  return { history: plottableHistory(st.history), originalBytes: st.size?.originalBytes ?? 0, score: selectScoreName(st) };
}

/** Ticks of a bytes axis 0..maxBytes at nice multiples of a KiB (the axis is labelled in KiB). */
export function kibTicks(maxBytes: number): number[] {
  const top = Math.max(1, maxBytes / 1024);
  const power = Math.pow(10, Math.floor(Math.log10(top / 5)));
  const rough = top / 5 / power;
  const step = (rough < 1.5 ? 1 : rough < 3.5 ? 2 : rough < 7.5 ? 5 : 10) * power;
  const ticks: number[] = [];
  for (let k = 0; k <= top + 1e-9; k += step) ticks.push(Math.round(k * 1024));
  return ticks;
}

/** One singular value as the spectrum chart draws it: index i (1-based), s_i (floored for the log axis) and the cumulative energy in percent. */
export interface SpectrumPoint {
  index: number;
  sigma: number;
  energy: number;
}

/**
 * The spectrum chart's points: s_i floored at `s_1 * floorRatio` (a log axis
 * cannot show 0, and values below it are rounding noise of the SVD) with the
 * cumulative energy of the unfloored values.
 */
export function spectrumPoints(values: ArrayLike<number>, floorRatio = 1e-7): SpectrumPoint[] {
  const energy = cumulativeEnergy(values);
  const floor = Math.max(values.length > 0 ? values[0] * floorRatio : 0, Number.MIN_VALUE);
  return Array.from({ length: values.length }, (_, i) => ({ index: i + 1, sigma: Math.max(values[i], floor), energy: energy[i] }));
}

/**
 * The right end of a stored-size axis in bytes: the original model's size or
 * the largest point, whichever is larger, plus 4% so that points at the
 * original size are not cut in half by the plot's edge.
 */
export function sizeAxisTop(originalBytes: number, points: ReadonlyArray<{ bytes: number }>): number {
  const largest = points.reduce((m, p) => Math.max(m, p.bytes), originalBytes);
  return Math.max(1, Math.ceil(1.04 * largest));
}
