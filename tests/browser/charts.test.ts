import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Download, Page } from 'playwright-core';
import { downloadDir, startHarness, type Harness } from './harness';

/**
 * The charts in real Chromium on mlp-64: two sweeps of different layers
 * drawn side by side with a legend entry each, the data table with one row
 * per point, SVG and PNG exports that are real files (the SVG parses and
 * holds the points), the accuracy axis's zoom toggle, and the spectrum's
 * points and marks.
 */

let h: Harness;
let page: Page;

interface LabWindow {
  __lab: {
    getState(): {
      whenIdle(): Promise<void>;
      selectLayer(layer: string): void;
      setRank(layer: string, k: number): void;
      spectra: Record<string, Float64Array>;
      layers: Array<{ name: string; kernelShape: [number, number] | null }>;
    };
  };
}

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ acceptDownloads: true });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${h.url}?model=mlp-64`);
  await page.getByTestId('lab').waitFor({ timeout: 240_000 });
  // The first evaluation is shown (expect.poll may not run in a hook).
  await page.waitForFunction(() => /%$/.test(document.querySelector('[data-testid="accuracy"]')?.textContent ?? ''), null, { timeout: 240_000 });
}, 300_000);

afterAll(async () => {
  await h?.close();
});

const rankChart = () => page.getByTestId('rank-chart');

/** The y-axis tick labels of the chart under `testId`. */
async function yTicks(testId: string): Promise<string[]> {
  return page.locator(`[data-testid="${testId}"] .accuracy-tick`).allTextContents();
}

/** Clicks `testId` and returns the saved download's path. */
async function download(testId: string): Promise<{ path: string; name: string }> {
  const [d]: [Download, void] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const path = join(downloadDir(), d.suggestedFilename());
  await d.saveAs(path);
  return { path, name: d.suggestedFilename() };
}

/** Selects fc1 and waits until its spectrum is drawn, one point per singular value (64); returns the shown chart. */
async function showSpectrumOfFc1() {
  await page.evaluate(() => (window as unknown as LabWindow).__lab.getState().selectLayer('fc1'));
  const spectrum = page.getByTestId('spectrum-chart');
  await expect.poll(() => spectrum.locator('.layer-spectrum .recharts-symbols').count(), { timeout: 10_000 }).toBe(64);
  return spectrum;
}

describe('charts', () => {
  it('zooms the accuracy axis to the data and back to 0-100% with its toggle', async () => {
    // Before any sweep the size chart holds the original model alone (about 95%): zoomed, the axis spans a few points.
    await expect.poll(() => yTicks('size-chart'), { timeout: 10_000 }).not.toEqual([]);
    const zoomed = await yTicks('size-chart');
    expect(Number(zoomed.at(-1)) - Number(zoomed[0])).toBeLessThan(20);
    await page.getByTestId('size-full-axis').check();
    await expect.poll(() => yTicks('size-chart')).not.toEqual(zoomed);
    const full = await yTicks('size-chart');
    expect(full[0]).toBe('0');
    expect(full.at(-1)).toBe('100');
    await page.getByTestId('size-full-axis').uncheck();
    await expect.poll(() => yTicks('size-chart')).toEqual(zoomed);
  });

  it('explains a sweep before the first one, then overlays sweeps of two layers with a legend entry and points each', async () => {
    expect(await rankChart().getAttribute('data-series')).toBe('0');
    await expect.poll(() => rankChart().textContent()).toMatch(/scores the model at every rank of one layer/);

    await page.getByTestId('start-sweep').click(); // fc1, the selected layer: ranks 1..64
    await expect.poll(() => rankChart().getAttribute('data-points'), { timeout: 120_000 }).toBe('64');
    await page.evaluate(() => (window as unknown as LabWindow).__lab.getState().selectLayer('out'));
    // The button names the layer it sweeps; it follows the selection at the chart's next redraw.
    await expect.poll(() => page.getByTestId('start-sweep').textContent()).toBe('Sweep ranks of out');
    await page.getByTestId('start-sweep').click(); // out: 64 x 10, ranks 1..10
    await expect.poll(() => rankChart().getAttribute('data-points'), { timeout: 120_000 }).toBe('74');
    await page.getByTestId('start-sweep').waitFor({ state: 'visible', timeout: 60_000 });

    expect(await rankChart().locator('.recharts-legend-item').allTextContents()).toEqual(['fc1, svd', 'out, svd']);
    const series = rankChart().locator('.recharts-scatter');
    expect(await series.count()).toBe(2);
    expect(await series.nth(0).locator('.recharts-scatter-symbol').count()).toBe(64);
    expect(await series.nth(1).locator('.recharts-scatter-symbol').count()).toBe(10);
  }, 240_000);

  it('shows the data as a table with one row per point', async () => {
    await page.getByTestId('rank-table-toggle').click();
    const table = page.getByTestId('rank-table');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(74);
    expect(await table.locator('caption').textContent()).toMatch(/Rank versus accuracy/);
    expect(await table.locator('thead th[scope="col"]').count()).toBe(3);
    expect(await page.getByTestId('rank-table-toggle').getAttribute('aria-expanded')).toBe('true');
  });

  it('exports the rank chart as an SVG that parses and holds every point and legend entry', async () => {
    const { path, name } = await download('rank-export-svg');
    expect(name).toMatch(/\.svg$/);
    const text = readFileSync(path, 'utf8');
    const parsed = await page.evaluate((svg) => {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        root: doc.documentElement.localName,
        symbols: doc.querySelectorAll('.recharts-scatter-symbol').length,
        text: doc.documentElement.textContent,
      };
    }, text);
    expect(parsed.error).toBeNull();
    expect(parsed.root).toBe('svg');
    expect(parsed.symbols).toBe(74);
    expect(parsed.text).toContain('fc1, svd');
    expect(parsed.text).toContain('out, svd');
  });

  it('exports the rank chart as a PNG', async () => {
    const { path, name } = await download('rank-export-png');
    expect(name).toMatch(/\.png$/);
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: width and height, big-endian, at bytes 16-23; drawn at twice the chart's 520 px.
    expect(bytes.readUInt32BE(16)).toBe(1040);
    expect(bytes.length).toBeGreaterThan(5_000);
  });

  it('draws one spectrum point per singular value, with the rank and the break-even rank marked', async () => {
    await page.evaluate(() => {
      const s = (window as unknown as LabWindow).__lab.getState();
      s.selectLayer('fc1');
      s.setRank('fc1', 16);
    });
    const count = await page.evaluate(() => (window as unknown as LabWindow).__lab.getState().spectra.fc1.length);
    const spectrum = page.getByTestId('spectrum-chart');
    await expect.poll(() => spectrum.locator('.layer-spectrum .recharts-symbols').count(), { timeout: 10_000 }).toBe(count);
    expect(count).toBe(64);
    await expect.poll(() => spectrum.locator('.rank-marker').getAttribute('data-rank')).toBe('16');
    // Break-even: floor(mn / (m + n)) of fc1's 784 x 64 kernel, computed here from the shape the store reports.
    const shape = await page.evaluate(() => (window as unknown as LabWindow).__lab.getState().layers.find((l) => l.name === 'fc1')!.kernelShape!);
    expect(shape).toEqual([784, 64]);
    let breakEven = 0;
    while ((breakEven + 1) * (shape[0] + shape[1]) <= shape[0] * shape[1]) breakEven++;
    expect(await spectrum.locator('.break-even-marker').getAttribute('data-rank')).toBe(String(breakEven));
    expect(await spectrum.locator('.break-even-marker text').textContent()).toBe(`break-even ${breakEven}`);
    expect(await spectrum.locator('.rank-marker text').textContent()).toBe('k = 16');
  });

  it('places each singular value and its cumulative energy where the spectrum\'s own tick labels say', async () => {
    const spectrum = await showSpectrumOfFc1();
    const drawn = await spectrum.evaluate((el) => {
      const ticks = (sel: string, attr: 'x' | 'y') => [...el.querySelectorAll(`${sel} > g > text`)].map((t) => ({ label: t.textContent!, at: Number(t.getAttribute(attr)) }));
      const centres = [...el.querySelectorAll('.layer-spectrum .recharts-symbols')].map((p) => {
        const m = /translate\(([-\d.e]+),\s*([-\d.e]+)\)/.exec(p.getAttribute('transform')!)!;
        return [Number(m[1]), Number(m[2])];
      });
      const curve = el.querySelector('.energy-curve')!.getAttribute('points')!.trim().split(/\s+/).map((xy) => xy.split(',').map(Number));
      return { x: ticks('.plot-x-axis', 'x'), sigma: ticks('.plot-y-axis-left', 'y'), energy: ticks('.plot-y-axis-right', 'y'), centres, curve };
    });
    const values = [...await page.evaluate(() => Array.from((window as unknown as LabWindow).__lab.getState().spectra.fc1))];
    // The oracle: two labelled ticks of each axis, read as numbers, fix where any value goes (log10 for s_i).
    const along = (ts: Array<{ label: string; at: number }>, f: (v: number) => number) => {
      const [a, b] = [ts[0], ts.at(-1)!];
      return (v: number) => a.at + ((f(v) - f(Number(a.label))) / (f(Number(b.label)) - f(Number(a.label)))) * (b.at - a.at);
    };
    const x = along(drawn.x, (v) => v);
    const sigma = along(drawn.sigma, Math.log10);
    const energy = along(drawn.energy, (v) => v);
    expect(drawn.x[0].label).toBe('1');
    expect(drawn.x.at(-1)!.label).toBe('64');
    const total = values.reduce((t, v) => t + v * v, 0);
    let kept = 0;
    values.forEach((v, i) => {
      kept += v * v;
      expect(drawn.centres[i][0]).toBeCloseTo(x(i + 1), 1);
      expect(drawn.centres[i][1]).toBeCloseTo(sigma(v), 1);
      expect(drawn.curve[i][0]).toBeCloseTo(x(i + 1), 1);
      expect(drawn.curve[i][1]).toBeCloseTo(energy((100 * kept) / total), 1);
    });
  });

  it('shows one singular value\'s figures where the pointer is, and steps through them with the keyboard', async () => {
    const spectrum = await showSpectrumOfFc1();
    const values = await page.evaluate(() => Array.from((window as unknown as LabWindow).__lab.getState().spectra.fc1));
    const tip = spectrum.locator('.spectrum-tip');
    const shows = async (i: number) => {
      await expect.poll(() => tip.getAttribute('data-index')).toBe(String(i));
      expect(await tip.textContent()).toContain(`s_i = ${values[i - 1].toPrecision(4)}`);
    };
    // The pointer over the 10th marker (its place on screen, wherever the page put the chart).
    await spectrum.scrollIntoViewIfNeeded();
    const marker = await spectrum.locator('.layer-spectrum .recharts-symbols').nth(9).boundingBox();
    await page.mouse.move(marker!.x + marker!.width / 2, marker!.y + marker!.height / 2);
    await shows(10);
    await page.mouse.move(0, 0);
    await expect.poll(() => tip.count()).toBe(0);
    const surface = page.getByRole('application', { name: /^Singular values of fc1/ });
    await surface.focus();
    await shows(1);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await shows(3);
    await page.keyboard.press('End');
    await shows(64);
    await page.keyboard.press('ArrowRight');
    await shows(64);
    await page.keyboard.press('Home');
    await shows(1);
    await surface.blur();
    await expect.poll(() => tip.count()).toBe(0);
  });

  it('exports the spectrum as an SVG that holds its points, its marks and its title', async () => {
    await showSpectrumOfFc1();
    const { path } = await download('spectrum-export-svg');
    const parsed = await page.evaluate((svg) => {
      const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        points: doc.querySelectorAll('.layer-spectrum .recharts-symbols').length,
        marks: doc.querySelectorAll('.rank-marker, .break-even-marker').length,
        text: doc.documentElement.textContent,
      };
    }, readFileSync(path, 'utf8'));
    expect(parsed.error).toBeNull();
    expect(parsed.points).toBe(64);
    expect(parsed.marks).toBe(2);
    expect(parsed.text).toContain('Singular values: fc1');
    expect(parsed.text).toContain('cumulative energy');
  });

  it('keeps an earlier layer\'s spectrum drawn but skipped by rendering, out of reach, and shows the same chart again', async () => {
    const fc1 = page.locator('section[aria-label="Singular values of fc1"]');
    await showSpectrumOfFc1();
    // Tag fc1's drawn chart, so showing it again can be told from drawing it anew.
    await fc1.evaluate((el) => { (el as unknown as { tagged: boolean }).tagged = true; });
    await page.evaluate(() => (window as unknown as LabWindow).__lab.getState().selectLayer('fc2'));
    await expect.poll(() => page.locator('section[aria-label="Singular values of fc2"] [data-testid="spectrum-chart"]').count(), { timeout: 10_000 }).toBe(1);
    const hidden = await fc1.evaluate((el) => {
      const wrapper = el.parentElement!;
      const button = el.querySelector('button')!;
      button.focus();
      return {
        contentVisibility: getComputedStyle(wrapper).contentVisibility,
        inert: wrapper.inert,
        height: wrapper.getBoundingClientRect().height,
        focused: document.activeElement === button,
        points: el.querySelectorAll('.layer-spectrum .recharts-symbols').length,
        testIds: el.querySelectorAll('[data-testid="spectrum-chart"]').length,
      };
    });
    // Still drawn (its 64 points in the DOM) but rendered as nothing, unfocusable, and without the test ids of the shown chart.
    expect(hidden).toEqual({ contentVisibility: 'hidden', inert: true, height: 0, focused: false, points: 64, testIds: 0 });
    expect(await page.getByRole('region', { name: 'Singular values of fc1' }).count()).toBe(0);
    await page.evaluate(() => (window as unknown as LabWindow).__lab.getState().selectLayer('fc1'));
    await expect.poll(() => fc1.evaluate((el) => getComputedStyle(el.parentElement!).contentVisibility)).toBe('visible');
    expect(await fc1.evaluate((el) => ({ tagged: (el as unknown as { tagged?: boolean }).tagged === true, inert: el.parentElement!.inert, tall: el.getBoundingClientRect().height > 100 }))).toEqual({ tagged: true, inert: false, tall: true });
    expect(await page.getByRole('region', { name: 'Singular values of fc1' }).count()).toBe(1);
    expect(await fc1.locator('[data-testid="spectrum-chart"] .layer-spectrum .recharts-symbols').count()).toBe(64);
  });
});
