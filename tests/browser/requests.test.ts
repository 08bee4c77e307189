import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { REPO_ROOT } from '../../src/cli/nodeEnv';
import { startHarness, type Harness } from './harness';

/**
 * Every request of one full session of the built lab stays on the lab's own
 * origin: opening it, every factor method, the method comparison and its
 * CSV, the zip download, a model opened from the user's files, another
 * bundled model, and the service worker's precaching. Requests are recorded
 * on the browser context, so the page's, its workers' and the service
 * worker's all count; the test first checks that it saw the requests a
 * session must make (so an empty record cannot pass), then that none of
 * them left the origin.
 */

let h: Harness;
let context: BrowserContext;
let page: Page;
const seen: Array<{ url: string; fromServiceWorker: boolean }> = [];

beforeAll(async () => {
  h = await startHarness();
  context = await h.browser.newContext({ acceptDownloads: true });
  context.on('request', (r: Request) => seen.push({ url: r.url(), fromServiceWorker: r.serviceWorker() !== null }));
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  // A WebSocket would not show as a request: record its address the same way.
  page.on('websocket', (ws) => seen.push({ url: ws.url(), fromServiceWorker: false }));
});

afterAll(async () => {
  await context?.close();
  await h?.close();
});

/** Waits until the accuracy on screen belongs to the ranks on screen, and returns it. */
async function waitForAccuracy(): Promise<string> {
  await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 240_000, interval: 200 }).toMatch(/%$/);
  return (await page.getByTestId('accuracy').textContent())!;
}

/** Resolves once the lab has no evaluation, sweep or rule running. */
function idle(): Promise<void> {
  return page.evaluate(() => (window as unknown as { __lab: { getState(): { whenIdle(): Promise<void> } } }).__lab.getState().whenIdle());
}

describe('requests of a full session', () => {
  it('stay on the lab\'s origin through open, every method, compare, download, file open and another model', async () => {
    const origin = new URL(h.url).origin;
    await page.goto(h.url);
    await page.getByTestId('lab').waitFor({ timeout: 240_000 });
    await waitForAccuracy();

    // Every factor method the page offers, at a rank that factorizes fc1.
    await page.getByLabel(/Rank of fc1/).focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 7; i++) await page.keyboard.press('ArrowRight'); // fc1 = 8
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('8');
    const methods = await page.getByTestId('method-select').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(methods.length).toBeGreaterThanOrEqual(6);
    expect(methods[0]).toBe('svd'); // scored at the rank above
    await waitForAccuracy();
    for (const method of methods.slice(1)) {
      await page.getByTestId('method-select').selectOption(method);
      await expect.poll(() => page.getByTestId('method-bytes').textContent(), { timeout: 120_000 }).toContain(`${method} stores`);
      await waitForAccuracy();
    }
    await page.getByTestId('method-select').selectOption('svd');
    await idle();

    // The comparison of every method, and its CSV.
    await page.getByTestId('start-compare').click();
    // Export CSV shows once the comparison has finished with rows.
    await page.getByTestId('export-csv').waitFor({ state: 'visible', timeout: 300_000 });
    expect(Number(await page.getByTestId('compare-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    const csv = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    expect((await csv).suggestedFilename()).toMatch(/\.csv$/);

    // The compressed model as a zip.
    const zip = page.waitForEvent('download', { timeout: 60_000 });
    await page.getByTestId('download').click();
    expect((await zip).suggestedFilename()).toMatch(/\.zip$/);

    // The service worker the page registers once a model is open: its precache requests count too.
    await expect.poll(() => page.getByTestId('offline-status').getAttribute('data-state'), { timeout: 240_000, interval: 250 }).toBe('ready');

    // A model opened from the user's own files: read in the page, nothing fetched for it.
    const dir = join(REPO_ROOT, 'public', 'models', 'mlp-64');
    await page.getByTestId('file-input').setInputFiles(['model.json', 'weights.bin'].map((name) => ({ name, mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, name)) })));
    await expect.poll(() => page.getByTestId('lab').getAttribute('data-model'), { timeout: 120_000 }).toBe('mlp_64');
    await waitForAccuracy();

    // Another bundled model from the picker.
    const ids = await page.getByTestId('model-select').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    const other = ids.find((id) => id && id !== 'mlp-64')!;
    expect(other).toBeDefined();
    await page.getByTestId('model-select').selectOption(other);
    await expect.poll(() => page.getByTestId('lab').getAttribute('data-model'), { timeout: 240_000 }).toBe(other);
    await waitForAccuracy();
    await idle();

    // The record is not empty: it holds what any session must fetch, from the page, its workers and the service worker.
    const paths = seen.map((r) => r.url);
    expect(seen.length).toBeGreaterThanOrEqual(20);
    for (const needed of [/\/index-[\w-]+\.js$/, /\.worker-[\w-]+\.js$/, /\.wasm$/, /\/models\/manifest\.json$/, /\/models\/mlp-64\/weights\.bin$/, /\/data\/mnist-test\.bin\.gz$/, new RegExp(`/models/${other}/model\\.json$`)]) {
      expect(paths.some((u) => needed.test(u.split('?')[0])), String(needed)).toBe(true);
    }
    expect(seen.some((r) => r.fromServiceWorker)).toBe(true);

    // And not one of them left the origin.
    const foreign = seen.filter((r) => !['blob:', 'data:'].includes(new URL(r.url).protocol) && new URL(r.url).origin !== origin);
    expect(foreign).toEqual([]);
  }, 900_000);
});
