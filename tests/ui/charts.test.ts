import { describe, expect, it } from 'vitest';
import { SERIES_COLOURS, SERIES_SHAPES, ON_SCREEN_STYLE, seriesStyle } from '../../src/ui/charts/palette';
import { accuracyDomain, formatLogTick, logDomain, logTicks, niceTicks, rankTicks } from '../../src/ui/charts/axes';
import { escapeXml, exportFileName, standaloneSvg } from '../../src/ui/charts/svgDocument';
import { kibTicks, sizeAxisTop } from '../../src/store/chartSelectors';

/**
 * The charts' pure parts: a palette that protanopes can still tell apart
 * (checked by simulating protanopia with Machado, Oliveira and Fernandes's
 * 2009 matrix and measuring CIE76 distances), accuracy axes that zoom to the
 * data, log and rank ticks, and the standalone SVG document of an export.
 */

/** sRGB hex -> linear RGB in [0, 1]. */
function linear(hex: string): number[] {
  return [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  });
}

/** Machado et al. 2009, protanopia at severity 1.0, applied to linear RGB. */
const PROTANOPIA = [
  [0.152286, 1.052583, -0.204868],
  [0.114503, 0.786281, 0.099216],
  [-0.003882, -0.048116, 1.051998],
];

/** Linear RGB -> CIELAB (D65), for perceptual distances. */
function lab(rgb: number[]): number[] {
  const [r, g, b] = rgb.map((c) => Math.min(1, Math.max(0, c)));
  const xyz = [
    (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
  ];
  const f = xyz.map((t) => (t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116));
  return [116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])];
}

function protanDistance(a: string, b: string): number {
  const sim = (hex: string) => lab(PROTANOPIA.map((row) => row.reduce((s, w, i) => s + w * linear(hex)[i], 0)));
  const [p, q] = [sim(a), sim(b)];
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

function minPairwise(colours: readonly string[]): number {
  let min = Infinity;
  for (let i = 0; i < colours.length; i++) for (let j = i + 1; j < colours.length; j++) min = Math.min(min, protanDistance(colours[i], colours[j]));
  return min;
}

describe('palette', () => {
  it('keeps every pair of series colours apart under simulated protanopia, unlike the old comparison colours', () => {
    // ΔE76 of 10 is clearly visible side by side; the old palette's svd blue and svd+int8 orange were not the problem,
    // its green (#2e9e5b) and orange (#cc7a00) and its blue and purple collapse for protanopes.
    expect(minPairwise(SERIES_COLOURS)).toBeGreaterThan(10);
    expect(minPairwise(['#2266cc', '#cc7a00', '#2e9e5b', '#b8336a', '#6b4fbb', '#444444', '#0f9ab8', '#8c564b'])).toBeLessThan(10);
  });

  it('gives the first 12 series (the comparison draws 8) distinct markers by shape and fill alone, colour aside', () => {
    const markers = Array.from({ length: 12 }, (_, i) => seriesStyle(i)).map((s) => `${s.shape}/${s.hollow ? 'outline' : 'filled'}`);
    expect(new Set(markers).size).toBe(12);
    expect(markers.filter((m) => m.endsWith('outline'))).toHaveLength(6);
  });

  it('gives the first series distinct shapes and no two of the first 42 both colour and shape, none the on-screen star', () => {
    expect(new Set(SERIES_SHAPES).size).toBe(SERIES_SHAPES.length);
    const styles = Array.from({ length: 42 }, (_, i) => seriesStyle(i));
    expect(new Set(styles.map((s) => `${s.colour}/${s.shape}`)).size).toBe(42);
    expect(new Set(styles.slice(0, 6).map((s) => s.shape)).size).toBe(6);
    expect(styles.some((s) => s.shape === ON_SCREEN_STYLE.shape || s.colour === ON_SCREEN_STYLE.colour)).toBe(false);
  });
});

describe('axes', () => {
  it('zooms an accuracy axis to data spanning 93-96%: contains all of it, tighter than 0-100, inside [0, 100]', () => {
    const data = [93.1, 94.7, 95.2, 96.0];
    const [lo, hi] = accuracyDomain(data, true);
    expect(lo).toBeLessThanOrEqual(93.1);
    expect(hi).toBeGreaterThanOrEqual(96);
    expect(hi - lo).toBeLessThan(10);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThanOrEqual(100);
    expect(accuracyDomain(data, false)).toEqual([0, 100]);
  });

  it('never leaves [0, 100], also for data at the ends or empty data', () => {
    for (const data of [[99.9, 100], [0, 0.3], [0, 100], [100], [], [50, NaN, 105]]) {
      const [lo, hi] = accuracyDomain(data, true);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(100);
      expect(hi).toBeGreaterThan(lo);
      for (const v of data) if (v >= 0 && v <= 100) expect(v >= lo && v <= hi).toBe(true);
    }
  });

  it('puts nice ticks inside the range at a constant step', () => {
    const ticks = niceTicks(92, 97);
    expect(ticks[0]).toBeGreaterThanOrEqual(92);
    expect(ticks.at(-1)).toBeLessThanOrEqual(97);
    const steps = new Set(ticks.slice(1).map((t, i) => (t - ticks[i]).toFixed(9)));
    expect(steps.size).toBe(1);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
  });

  it('covers a spectrum with whole decades and ticks at powers of ten', () => {
    const domain = logDomain(3e-4, 7.5);
    expect(domain).toEqual([1e-4, 10]);
    expect(logTicks(domain)).toEqual([1e-4, 1e-3, 1e-2, 1e-1, 1, 10]);
    // Two decades: 1, 2, 5 per decade.
    expect(logTicks(logDomain(0.2, 8))).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    expect(logDomain(1.1, 5.3)).toEqual([1, 10]);
  });

  it('marks a log rank axis at powers of two, so ranks 1-5 of 1-256 get their own ticks', () => {
    expect(rankTicks(256, true)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
    const linear = rankTicks(64, false);
    expect(linear[0]).toBe(1);
    expect(linear.at(-1)).toBe(64);
    expect(linear).not.toContain(60); // too close to 64 to print
  });
});

describe('svg export document', () => {
  const chart = '<svg class="recharts-surface" width="520" height="300" viewBox="0 0 520 300" style="width: 100%"><circle cx="1" cy="2" r="3"/></svg>';

  it('writes one svg root with the namespace, the given size, an escaped title and a background, keeping the chart', () => {
    const doc = standaloneSvg(chart, { title: 'Rank vs accuracy <fc1> & "fc2"', width: 520, height: 330 });
    expect(doc.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(doc.match(/<svg\b/g)).toHaveLength(1);
    expect(doc).toContain('width="520" height="330" viewBox="0 0 520 330"');
    expect(doc).not.toContain('height="300"');
    expect(doc).toContain('<title>Rank vs accuracy &lt;fc1&gt; &amp; &quot;fc2&quot;</title>');
    expect(doc).toContain('<rect x="0" y="0" width="520" height="330" fill="#ffffff"/>');
    expect(doc).toContain('<circle cx="1" cy="2" r="3"/></svg>');
    expect(doc.endsWith('</svg>')).toBe(true);
  });

  it('refuses markup that is not an svg element, and names files after the title', () => {
    expect(() => standaloneSvg('<div></div>', { title: 't', width: 1, height: 1 })).toThrow(TypeError);
    expect(exportFileName('Rank vs accuracy: fc1', 'svg')).toBe('rank-vs-accuracy-fc1.svg');
    expect(exportFileName('***', 'png')).toBe('chart.png');
    expect(escapeXml(`<a & 'b'>`)).toBe('&lt;a &amp; &apos;b&apos;&gt;');
  });
});

describe('log tick labels', () => {
  it('writes plain numbers in the middle range and powers of ten outside it', () => {
    expect([0.05, 1, 2, 200, 5000].map(formatLogTick)).toEqual(['0.05', '1', '2', '200', '5000']);
    expect([1e-5, 2e-7, 1e5].map(formatLogTick)).toEqual(['1e-5', '2e-7', '1e5']);
  });
});

describe('stored-size axis', () => {
  it('ticks at round KiB counts up to the original size and ends past the largest point', () => {
    const original = 220_200; // mlp-64: 215.0 KiB
    const ticks = kibTicks(original);
    expect(ticks[0]).toBe(0);
    expect(ticks.every((t) => t <= original)).toBe(true);
    expect(ticks.map((t) => t / 1024)).toEqual([0, 50, 100, 150, 200]);
    expect(sizeAxisTop(original, [{ bytes: 1000 }])).toBeGreaterThan(original);
    expect(sizeAxisTop(original, [{ bytes: 2 * original }])).toBeGreaterThan(2 * original);
  });
});
