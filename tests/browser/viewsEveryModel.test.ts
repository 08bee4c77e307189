import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from './harness';
import { canvasStats, canvasStatsAt, openLab } from './labPage';

/**
 * Every chart and teaching view on every bundled model, in real Chromium,
 * judged by its DOM and its pixels against facts read here in Node from
 * the model's own files (public/models/<id>/model.json: the first layer's
 * name and kernel shape) and from the test set's file (its labels), not
 * from the lab's numbers: the spectrum has min(m, n) points with the rank
 * and floor(mn / (m + n)) marked; the size chart holds the original and the
 * reduced configuration with the on-screen star; a sweep of the first layer
 * draws a legend entry and its first points (then is cancelled); each view
 * tab, reached by keyboard, draws non-uniform canvases of the right sizes
 * (28 x 28 directions on the MLPs, kh x kw filters on the CNN), W - W_k is
 * not neutral at the reduced rank, and the per-digit view's count, grid and
 * 10 x 10 confusion table agree with the store's predictions against the
 * file's labels; the method comparison starts and cancels.
 */

const MODELS = (JSON.parse(readFileSync('public/models/manifest.json', 'utf8')) as { models: Array<{ id: string }> }).models.map((m) => m.id);

/** The test set's labels from its LRMN file (16-byte header, count x rows x cols pixels, then count labels). */
const LABELS = (() => {
  const bytes = gunzipSync(readFileSync('public/data/mnist-test.bin.gz'));
  const count = bytes.readUInt32LE(4);
  const size = bytes.readUInt32LE(8) * bytes.readUInt32LE(12);
  return Array.from(bytes.subarray(16 + count * size, 16 + count * size + count));
})();

/** The first layer with a kernel in the model's weight manifest, its kernel as an m x n matrix (a conv's kh*kw*cin x cout), and the rank the test sets. */
function firstLayer(id: string) {
  const model = JSON.parse(readFileSync(`public/models/${id}/model.json`, 'utf8')) as { weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }> };
  const kernel = model.weightsManifest.flatMap((g) => g.weights).find((w) => w.name.endsWith('/kernel'))!;
  const shape = kernel.shape;
  const [m, n] = shape.length === 4 ? [shape[0] * shape[1] * shape[2], shape[3]] : [shape[0], shape[1]];
  const r = Math.min(m, n);
  // Break-even by counting: the largest k whose factors k(m + n) stay within the mn weights.
  let breakEven = 0;
  while ((breakEven + 1) * (m + n) <= m * n) breakEven++;
  // A cell per weight up to 256 a side; beyond, equal blocks averaged down to at most 256.
  const cells = (d: number) => (d <= 256 ? d : Math.ceil(d / Math.ceil(d / 256)));
  return {
    name: kernel.name.slice(0, -'/kernel'.length), m, n, r, k: Math.min(8, Math.floor(r / 4)), breakEven,
    tile: shape.length === 4 ? [shape[0], shape[1]] : [28, 28], heatmap: [cells(m), cells(n)],
  };
}

interface LabWindow {
  __lab: {
    getState(): {
      phase: string;
      setRank(layer: string, k: number): void;
      selectLayer(layer: string): void;
      whenIdle(): Promise<void>;
      current: { result: { predicted: Int32Array; originalPredicted: Int32Array; count: number } } | null;
      sweep: { status: string } | null;
    };
  };
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

/** Counts over the store's predictions with the file's labels: newly wrong, and right now. */
function predictionCounts(page: Page) {
  return page.evaluate((labels) => {
    const { predicted, originalPredicted, count } = (window as unknown as LabWindow).__lab.getState().current!.result;
    let wrong = 0;
    let right = 0;
    for (let i = 0; i < count; i++) {
      if (originalPredicted[i] === labels[i] && predicted[i] !== labels[i]) wrong++;
      if (predicted[i] === labels[i]) right++;
    }
    return { wrong, right, count };
  }, LABELS);
}

/** Moves the views' tab list one tab right by keyboard and checks that `id` is the open tab. */
async function nextTab(page: Page, id: string) {
  await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.getByTestId(`views-tab-${id}`).getAttribute('aria-selected')).toBe('true');
}

describe.each(MODELS)('every view of %s', (id) => {
  const layer = firstLayer(id);

  it(`renders the charts and the views at ${layer.name}'s reduced rank`, async () => {
    const page = await openLab(h.browser, h.url, `?model=${id}`);
    await page.waitForFunction(() => (window as unknown as LabWindow).__lab.getState().phase === 'ready', null, { timeout: 120_000 });
    await page.evaluate(async ([l, k]) => {
      const s = (window as unknown as LabWindow).__lab.getState();
      s.selectLayer(l);
      s.setRank(l, k);
      await s.whenIdle();
    }, [layer.name, layer.k] as const);

    // Spectrum: one point per singular value of the m x n kernel, the rank and the break-even rank marked.
    const spectrum = page.getByTestId('spectrum-chart');
    await expect.poll(() => spectrum.locator('.layer-spectrum .recharts-symbols').count(), { timeout: 20_000 }).toBe(layer.r);
    await expect.poll(() => spectrum.locator('.rank-marker').getAttribute('data-rank')).toBe(String(layer.k));
    expect(await spectrum.locator('.break-even-marker').getAttribute('data-rank')).toBe(String(layer.breakEven));

    // Size chart: the original and the reduced configuration, the one on screen starred.
    const size = page.getByTestId('size-chart');
    await expect.poll(async () => Number(await size.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    expect(await size.locator('.evaluated-points .recharts-symbols').count()).toBeGreaterThanOrEqual(2);
    await expect.poll(() => size.getByTestId('current-point').count()).toBe(1);

    // Views, by keyboard from the first tab. Warm-up: real pictures, the rank-k one not the original.
    await page.getByTestId('views-tab-warmup').focus();
    await page.getByTestId('warmup-picture-rank-k').waitFor({ timeout: 30_000 });
    const picture = await canvasStats(page, 'warmup-picture-original');
    expect(picture.colours).toBeGreaterThan(20);
    expect((await canvasStats(page, 'warmup-picture-rank-k')).hash).not.toBe(picture.hash);
    expect((await canvasStats(page, 'warmup-digit-original')).colours).toBeGreaterThan(5);

    // Singular vectors of the first layer: 28 x 28 images on an MLP, kh x kw filters on a CNN, none uniform.
    await nextTab(page, 'singular');
    const tiles = page.locator('canvas[data-testid^="singular-tile-"]');
    await expect.poll(() => tiles.count(), { timeout: 30_000 }).toBe(Math.min(16, layer.r));
    for (let i = 0; i < Math.min(16, layer.r); i++) {
      const tile = await canvasStats(page, `singular-tile-${i}`);
      expect([tile.height, tile.width], `tile ${i}`).toEqual(layer.tile);
      expect(tile.colours, `tile ${i}`).toBeGreaterThan(Math.min(20, tile.pixels / 5));
    }
    expect(await page.getByTestId('singular-images').getAttribute('data-rank')).toBe(String(layer.k));
    // The digit seen through the top k directions exists only for a Dense layer on the flat image.
    const projections = await page.locator('canvas[data-testid="projection-rank-k"]').count();
    expect(projections).toBe(layer.tile[0] === 28 ? 1 : 0);
    if (projections) expect((await canvasStats(page, 'projection-rank-k')).colours).toBeGreaterThan(20);

    // Heatmaps of the first layer: W, W_k and W - W_k at the cells' size; W - W_k not neutral below full rank.
    await nextTab(page, 'heatmaps');
    await expect.poll(() => page.getByTestId('heatmaps').getAttribute('data-rank'), { timeout: 30_000 }).toBe(String(layer.k));
    const cells = layer.heatmap[0] * layer.heatmap[1];
    for (const which of ['w', 'wk', 'residual']) {
      const map = await canvasStats(page, `heatmap-${which}`);
      expect([map.height, map.width], which).toEqual(layer.heatmap);
      expect(map.colours, which).toBeGreaterThan(10);
      expect(map.notRgb, which).toBeGreaterThan(cells / 4);
    }

    // Per-digit errors: the count, the grid and the confusion table against the file's labels.
    await nextTab(page, 'digits');
    const counts = await predictionCounts(page);
    expect(counts.count).toBe(LABELS.length);
    const digits = page.getByTestId('digit-errors');
    await expect.poll(() => digits.getAttribute('data-count'), { timeout: 60_000 }).toBe(String(counts.wrong));
    expect(await page.getByTestId('digit-errors-config').textContent()).toBe(`svd: ${layer.name}=${layer.k}`);
    expect(await page.getByTestId('digit-error').count()).toBe(Math.min(48, counts.wrong));
    if (counts.wrong > 0) expect((await canvasStatsAt(page, '[data-testid="digit-error"] canvas')).colours).toBeGreaterThan(5);
    const table = await page.locator('[data-testid="confusion-matrix"] tbody tr').evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td')).map((td) => Number(td.textContent))));
    expect(table.map((row) => row.length)).toEqual(new Array(10).fill(10));
    const perClass = new Array(10).fill(0);
    for (const label of LABELS) perClass[label]++;
    expect(table.map((row) => row.reduce((a, b) => a + b, 0))).toEqual(perClass);
    expect(table.reduce((s, row, t) => s + row[t], 0)).toBe(counts.right);

    // Rank chart: a sweep of the first layer draws its legend entry and first points; long sweeps are cancelled.
    const rank = page.getByTestId('rank-chart');
    expect(await rank.getAttribute('data-series')).toBe('0');
    await page.getByTestId('start-sweep').click();
    await expect.poll(async () => Number(await rank.getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
    const cancel = page.getByTestId('cancel-sweep');
    const status = () => page.evaluate(() => (window as unknown as LabWindow).__lab.getState().sweep?.status);
    // A short sweep may finish between the look and the click: then there is nothing to cancel.
    if (await cancel.isVisible()) await cancel.click({ timeout: 5_000 }).catch(async (e) => { if (await status() !== 'done') throw e; });
    await page.getByTestId('start-sweep').waitFor({ timeout: 60_000 });
    expect(await status()).toMatch(/^(cancelled|done)$/);
    expect(await rank.locator('.recharts-legend-item').allTextContents()).toEqual([`${layer.name}, svd`]);
    const points = Number(await rank.getAttribute('data-points'));
    expect(await rank.locator('.recharts-scatter-symbol').count()).toBe(points);
    expect(await rank.locator('.rank-marker').getAttribute('data-rank')).toBe(String(layer.k));

    // Method comparison: offered before a run, shows progress once started and stops on Cancel (its rows come at the end).
    expect(await page.getByTestId('compare-chart').getAttribute('data-points')).toBe('0');
    await page.getByTestId('start-compare').click();
    await page.getByTestId('cancel-compare').click({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('start-compare').textContent(), { timeout: 30_000 }).toBe('Compare again');
    expect(await page.locator('.note', { hasText: 'Comparison cancelled.' }).count()).toBe(1);
    await page.close();
  }, 150_000);
});
