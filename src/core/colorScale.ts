/**
 * Colour scales for the lab's matrix pictures, as RGBA bytes a canvas takes
 * (ImageData order: r, g, b, a per pixel). The diverging scale is ColorBrewer's
 * RdBu (blue for negative, near-white for zero, red for positive), which
 * people with red-green colour blindness still read as two sides, because
 * its two arms differ in lightness and blue-yellow as well as in hue.
 */

/** RdBu's 11 classes, from -1 (dark blue) through 0 (near-white) to +1 (dark red). */
const RD_BU: ReadonlyArray<readonly [number, number, number]> = [
  [5, 48, 97], [33, 102, 172], [67, 147, 195], [146, 197, 222], [209, 229, 240],
  [247, 247, 247],
  [253, 219, 199], [244, 165, 130], [214, 96, 77], [178, 24, 43], [103, 0, 31],
];

/** The colour of zero on the diverging scale: [247, 247, 247]. */
export const NEUTRAL_RGB: readonly [number, number, number] = RD_BU[5];

/**
 * The diverging colour of `value` on a scale symmetric around 0 that
 * saturates at +-maxAbs: RdBu interpolated linearly, as integer [r, g, b].
 * Values beyond the range take the end colours; maxAbs <= 0 (an all-zero
 * matrix) paints everything neutral.
 */
export function divergingRgb(value: number, maxAbs: number): [number, number, number] {
  if (!(maxAbs > 0) || !Number.isFinite(value)) return [...NEUTRAL_RGB];
  const t = Math.max(-1, Math.min(1, value / maxAbs));
  const x = (t + 1) * 5; // 0..10 along the 11 stops
  const i = Math.min(9, Math.floor(x));
  const f = x - i;
  const [a, b] = [RD_BU[i], RD_BU[i + 1]];
  return [0, 1, 2].map((c) => Math.round(a[c] + (b[c] - a[c]) * f)) as [number, number, number];
}

/** Steps of the lookup table on each side of zero: colours of values within maxAbs / (2 LUT_STEPS) of each other agree. */
const LUT_STEPS = 512;
let lut: Uint8Array | null = null;

/** divergingRgb at t = i / LUT_STEPS - 1 for i in 0..2 LUT_STEPS, as r, g, b bytes (index LUT_STEPS is exactly 0). */
function divergingLut(): Uint8Array {
  if (lut) return lut;
  lut = new Uint8Array(3 * (2 * LUT_STEPS + 1));
  for (let i = 0; i <= 2 * LUT_STEPS; i++) lut.set(divergingRgb(i / LUT_STEPS - 1, 1), 3 * i);
  return lut;
}

/**
 * Row-major values painted on the diverging scale as opaque RGBA bytes, 4
 * per value: divergingRgb read from a table of 1,025 steps (a call per
 * value cost ~3 us, 40-90 ms for a 196 x 256 heatmap), so a value rounds
 * to the nearest step; |value| under maxAbs / 1024 is exactly neutral.
 */
export function divergingRgba(values: ArrayLike<number>, maxAbs: number): Uint8ClampedArray {
  const table = divergingLut();
  const out = new Uint8ClampedArray(4 * values.length);
  const scale = maxAbs > 0 ? LUT_STEPS / maxAbs : 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const step = Number.isFinite(v) ? Math.round(Math.max(-LUT_STEPS, Math.min(LUT_STEPS, v * scale))) : 0;
    const at = 3 * (step + LUT_STEPS);
    out[4 * i] = table[at];
    out[4 * i + 1] = table[at + 1];
    out[4 * i + 2] = table[at + 2];
    out[4 * i + 3] = 255;
  }
  return out;
}

/** Intensities in [0, 1] (clamped) as opaque grey RGBA bytes: 0 black, 1 white. */
export function greyRgba(values: ArrayLike<number>): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * values.length);
  for (let i = 0; i < values.length; i++) {
    const g = Math.round(255 * Math.max(0, Math.min(1, values[i])));
    out[4 * i] = g;
    out[4 * i + 1] = g;
    out[4 * i + 2] = g;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** The largest |value| (0 for none); the shared scale's end for a set of pictures. */
export function maxAbsOf(...arrays: ArrayLike<number>[]): number {
  let max = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]));
  return max;
}

/** One tick of a colour bar: a value and its CSS colour. */
export interface ColorStop {
  value: number;
  css: string;
}

/**
 * `count` evenly spaced stops from -maxAbs to +maxAbs (count >= 2), each
 * with its colour: the legend's gradient and its labelled ticks.
 */
export function divergingStops(maxAbs: number, count = 5): ColorStop[] {
  return Array.from({ length: count }, (_, i) => {
    const value = maxAbs * (-1 + (2 * i) / (count - 1));
    const [r, g, b] = divergingRgb(value, maxAbs);
    return { value, css: `rgb(${r}, ${g}, ${b})` };
  });
}
