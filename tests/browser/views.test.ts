import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from './harness';
import { canvasStats, openLab as openLabPage } from './labPage';

/**
 * The teaching views in real Chromium on mlp-64, checked by their DOM and
 * their canvas pixels: the warm-up's bytes line follows its keyboard slider
 * and the rank-k picture differs from the original; the singular vectors
 * are not uniform images and the projected digit changes with fc1's rank;
 * the W - W_k heatmap is all the neutral colour at full rank and not at
 * rank 1; the per-digit grid holds exactly the images wrong now and right
 * before, counted here from the store's predictions and labels, and the
 * confusion table's rows sum to the class counts. Then the bundled CNN:
 * its first layer's directions are 5 x 5 filters.
 */

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

/** The store's hook on the page (see boot.tsx), typed for what these tests read. */
interface ViewsWindow {
  __lab: {
    getState(): {
      setRank(layer: string, k: number): void;
      selectLayer(layer: string): void;
      whenIdle(): Promise<void>;
      current: { result: { predicted: Int32Array; originalPredicted: Int32Array; count: number } } | null;
      viewSample: { labels: Uint8Array } | null;
    };
  };
}

const openLab = (query: string): Promise<Page> => openLabPage(h.browser, h.url, query);

const setRank = (page: Page, layer: string, k: number) => page.evaluate(([l, r]) => {
  const s = (window as unknown as ViewsWindow).__lab.getState();
  s.setRank(l, r);
  s.selectLayer(l);
}, [layer, k] as const);

describe('teaching views', () => {
  it('draw the warm-up, singular vectors, heatmaps and per-digit errors of mlp-64 from the store', async () => {
    const page = await openLab('?model=mlp-64&ranks=fc1=8,fc2=8');

    // Warm-up (the first tab): the slider is keyboard-usable and the bytes follow it.
    await page.getByTestId('warmup-picture-rank-k').waitFor({ timeout: 30_000 });
    const bytes = page.getByTestId('warmup-picture-bytes');
    await expect.poll(() => bytes.textContent()).toContain('Rank 8: 8 x (128 + 128) = 2,048 values, 8.0 KiB');
    expect(await bytes.textContent()).toContain('Break-even rank floor(mn / (m + n)) = 64');
    const low = await canvasStats(page, 'warmup-picture-rank-k');
    const original = await canvasStats(page, 'warmup-picture-original');
    expect(original.colours).toBeGreaterThan(20);
    expect(low.hash).not.toBe(original.hash);
    await page.getByTestId('warmup-rank').focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => bytes.textContent()).toContain('Rank 9: 9 x (128 + 128) = 2,304 values, 9.0 KiB');
    await page.keyboard.press('End');
    await expect.poll(() => bytes.textContent()).toContain('Rank 128:');
    // At full rank the picture comes back exactly (8-bit greys rounded from the float64 product).
    await expect.poll(async () => (await canvasStats(page, 'warmup-picture-rank-k')).hash).toBe(original.hash);

    // Singular vectors of fc1 as 28 x 28 images, none uniform; the projected digit follows fc1's rank.
    await page.getByTestId('views-tab-singular').click();
    await expect.poll(() => page.locator('canvas[data-testid^="singular-tile-"]').count()).toBe(16);
    for (const i of [0, 7, 15]) {
      const tile = await canvasStats(page, `singular-tile-${i}`);
      expect(tile.pixels).toBe(784);
      expect(tile.colours, `tile ${i}`).toBeGreaterThan(20);
    }
    const at8 = await canvasStats(page, 'projection-rank-k');
    await setRank(page, 'fc1', 32);
    await expect.poll(() => page.getByTestId('singular-images').getAttribute('data-rank')).toBe('32');
    expect((await canvasStats(page, 'projection-rank-k')).hash).not.toBe(at8.hash);

    // Heatmaps: W - W_k is all neutral at full rank and not at rank 1, on one scale with a legend.
    await page.getByTestId('views-tab-heatmaps').click();
    await setRank(page, 'fc1', 64);
    await expect.poll(() => page.getByTestId('heatmaps').getAttribute('data-rank')).toBe('64');
    const full = await canvasStats(page, 'heatmap-residual');
    expect(full.pixels).toBe(196 * 64);
    expect(full.notRgb).toBe(0);
    expect((await canvasStats(page, 'heatmap-w')).notRgb).toBeGreaterThan(full.pixels / 2);
    await expect(page.getByTestId('heatmaps').textContent()).resolves.toContain('each the mean of a block of 4 x 1 weights');
    expect(await page.getByTestId('color-bar').textContent()).toMatch(/-0\.\d+.*0.*0\.\d+/);
    await setRank(page, 'fc1', 1);
    await expect.poll(() => page.getByTestId('heatmaps').getAttribute('data-rank')).toBe('1');
    expect((await canvasStats(page, 'heatmap-residual')).notRgb).toBeGreaterThan(full.pixels / 2);

    // Per-digit errors at fc1=8, fc2=8: the count is (wrong now and right before), recounted from the store.
    await setRank(page, 'fc1', 8);
    await page.getByTestId('views-tab-digits').click();
    const expected = await page.evaluate(async () => {
      const store = (window as unknown as ViewsWindow).__lab;
      await store.getState().whenIdle();
      const { current, viewSample } = store.getState();
      const { predicted, originalPredicted, count } = current!.result;
      let wrong = 0;
      const perClass = new Array(10).fill(0);
      for (let i = 0; i < count; i++) {
        const label = viewSample!.labels[i];
        perClass[label]++;
        if (originalPredicted[i] === label && predicted[i] !== label) wrong++;
      }
      return { wrong, perClass };
    });
    expect(expected.wrong).toBeGreaterThan(48);
    await expect.poll(() => page.getByTestId('digit-errors').getAttribute('data-count')).toBe(String(expected.wrong));
    expect(await page.getByTestId('digit-errors-config').textContent()).toBe('svd: fc1=8,fc2=8');
    expect(await page.getByTestId('digit-error').count()).toBe(48);
    const rowSums = await page.locator('[data-testid="confusion-matrix"] tbody tr').evaluateAll((rows) =>
      rows.map((r) => Array.from(r.querySelectorAll('td')).reduce((s, td) => s + Number(td.textContent), 0)));
    expect(rowSums).toEqual(expected.perClass);
    await page.close();
  }, 120_000);

  it('draws the CNN first layer directions as 5 x 5 filters', async () => {
    const page = await openLab('?model=cnn');
    await page.getByTestId('views-tab-singular').click();
    await expect.poll(() => page.locator('canvas[data-testid^="singular-tile-"]').count(), { timeout: 30_000 }).toBe(16);
    const tile = await canvasStats(page, 'singular-tile-0');
    expect(tile.pixels).toBe(25);
    expect(tile.colours).toBeGreaterThan(5);
    await page.getByTestId('views-tab-digits').click();
    await expect.poll(() => page.getByTestId('digit-errors').getAttribute('data-count'), { timeout: 60_000 }).toBe('0');
    await page.close();
  }, 120_000);
});
