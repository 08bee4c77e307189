/**
 * Axis arithmetic shared by the charts: accuracy axes that zoom to the data
 * (so 93% against 96% is visible), "nice" tick values, and ticks for log
 * axes (singular values, log rank). Pure functions, no DOM.
 */

/**
 * Every axis of the lab's charts is given its ticks, chosen to fit a 520 px
 * chart: `interval: 0` draws them all. Left at recharts' default
 * ('preserveEnd'), recharts measures each new tick label's text in the DOM
 * (a hidden span and getBoundingClientRect: a forced layout of the page
 * when it runs inside a commit) to thin out labels that would overlap.
 */
export const GIVEN_TICKS = { interval: 0 } as const;

/** A [low, high] axis range in the axis's own units. */
export type AxisDomain = [number, number];

/** The tick spacing nearest to `rough` among 1, 2, 2.5 and 5 times a power of ten. */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(rough)));
  const scaled = rough / power;
  const mantissa = scaled < 1.5 ? 1 : scaled < 2.25 ? 2 : scaled < 3.5 ? 2.5 : scaled < 7.5 ? 5 : 10;
  return mantissa * power;
}

/** Multiples of a nice step inside [lo, hi], about `target` of them; rounded so that 0.1 + 0.2 prints as 0.3. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = niceStep((hi - lo) / target);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

/**
 * The range of an accuracy axis, in percent. Zoomed: the data's range padded
 * by a tenth of its span (at least half a point), widened to whole tick
 * steps and clamped to [0, 100], so every point is inside and a 93-96% curve
 * fills the chart. Not zoomed, or with no data: [0, 100]. Values outside
 * [0, 100] or not finite are ignored.
 */
export function accuracyDomain(percents: readonly number[], zoomed: boolean): AxisDomain {
  const values = percents.filter((v) => Number.isFinite(v) && v >= 0 && v <= 100);
  if (!zoomed || values.length === 0) return [0, 100];
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = Math.max(0.5, 0.1 * (max - min));
  const step = niceStep((max - min + 2 * pad) / 5);
  const lo = Math.max(0, Math.floor((min - pad) / step) * step);
  const hi = Math.min(100, Math.ceil((max + pad) / step) * step);
  return [Number(lo.toPrecision(12)), Number(hi.toPrecision(12))];
}

/** A log axis's range: the decades around [min, max] (both > 0), at least one, e.g. [0.03, 7] -> [0.01, 10], [1.1, 5.3] -> [1, 10]. */
export function logDomain(min: number, max: number): AxisDomain {
  // Written as "1e<exponent>": Math.pow(10, -4) is 0.00009999999999999999.
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  return [Number(`1e${low}`), Number(`1e${high}`)];
}

/** Ticks of a log axis over `domain` (as logDomain gives): each power of ten, plus 2x and 5x when it spans fewer than three decades. */
export function logTicks(domain: AxisDomain): number[] {
  const first = Math.round(Math.log10(domain[0]));
  const last = Math.round(Math.log10(domain[1]));
  const mantissas = last - first < 3 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = first; e <= last; e++) {
    for (const m of mantissas) {
      const t = Number(`${m}e${e}`);
      if (t >= domain[0] && t <= domain[1]) ticks.push(t);
    }
  }
  return ticks;
}

/** Ticks of a rank axis 1..top: powers of two (and top) on a log axis, nice multiples (and 1) on a linear one. */
export function rankTicks(top: number, log: boolean): number[] {
  const ticks = new Set<number>([1]);
  if (log) for (let k = 2; k < top; k *= 2) ticks.add(k);
  else {
    const step = niceStep(top / 6);
    // A multiple within half a step of top would print over top's own label.
    for (const t of niceTicks(0, top, 6)) if (t >= 1 && Number.isInteger(t) && t < top - 0.5 * step) ticks.add(t);
  }
  ticks.add(top);
  return [...ticks].sort((a, b) => a - b);
}

/** A tick value of a log axis as text: plain digits from 0.001 to 9999 ("0.05", "200"), else powers of ten as "1e-5". */
export function formatLogTick(value: number): string {
  if (value >= 1e-3 && value < 1e4) return String(Number(value.toPrecision(3)));
  const exponent = Math.floor(Math.log10(value));
  const mantissa = Number((value / Number(`1e${exponent}`)).toPrecision(3));
  return mantissa === 1 ? `1e${exponent}` : `${mantissa}e${exponent}`;
}
