import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startHarness, type Harness } from './harness';

/**
 * Offline use of the built lab: the service worker (vite.config.ts,
 * Workbox precache) names no other origin, it takes control of the first
 * visit's page and finishes precaching, and then, with the browser
 * context offline, a reload opens mlp-64 and scores it. The compressed
 * test set is fetched instead of the raw 7.85 MB file.
 */

const DIST = resolve(__dirname, '..', '..', 'dist');
let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe('offline', () => {
  it('the generated worker, its Workbox runtime and the web manifest name no remote address', () => {
    const files = readdirSync(DIST).filter((f) => /^(sw|workbox-[\w-]+)\.js$|\.webmanifest$/.test(f));
    expect(files.filter((f) => f.startsWith('sw')).length).toBe(1);
    expect(files.some((f) => f.endsWith('.webmanifest'))).toBe(true);
    for (const f of files) expect(readFileSync(join(DIST, f), 'utf8'), f).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const sw = readFileSync(join(DIST, 'sw.js'), 'utf8');
    for (const asset of ['models/mlp-64/weights.bin', 'models/mlp-64/model.json', 'models/manifest.json', 'data/mnist-test.bin.gz', 'index.html']) expect(sw).toContain(`"${asset}"`);
  });

  it('after the first visit is cached, a reload with no network opens mlp-64 and shows an accuracy', async () => {
    const context = await h.browser.newContext();
    const page = await context.newPage();
    const fetched: string[] = [];
    page.on('request', (r) => fetched.push(new URL(r.url()).pathname));
    page.on('pageerror', (e) => console.error('page error:', e.message));
    try {
      await page.goto(`${h.url}?model=mlp-64`);
      await page.getByTestId('lab').waitFor({ timeout: 240_000 });
      await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 240_000, interval: 250 }).toMatch(/%$/);
      expect(fetched.some((p) => p.endsWith('/data/mnist-test.bin.gz'))).toBe(true);
      expect(fetched.some((p) => p.endsWith('/data/mnist-test.bin'))).toBe(false);

      // The page registers the worker once the model is open; wait until it controls the page and says the cache is complete.
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 120_000 });
      await expect.poll(() => page.getByTestId('offline-status').getAttribute('data-state'), { timeout: 120_000, interval: 250 }).toBe('ready');

      await context.setOffline(true);
      expect(await page.evaluate(() => fetch('https://example.com/').then(() => 'online', () => 'offline'))).toBe('offline');
      await page.reload();
      await page.getByTestId('lab').waitFor({ timeout: 240_000 });
      expect(await page.getByTestId('lab').getAttribute('data-model')).toBe('mlp-64');
      await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 240_000, interval: 250 }).toMatch(/^\d+\.\d\d%$/);
      expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    } finally {
      await context.close();
    }
  });
});
