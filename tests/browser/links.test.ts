import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { startHarness, type Harness } from './harness';

/**
 * Crafted share links in real Chromium: each opens the default lab (or the
 * well-formed rest of the link) with a message, never a blank page, and no
 * link can set a TF.js flag. Before the page entry took the query out of
 * the address, TF.js decoded it on import: `?foo=%` threw "URI malformed"
 * and left an empty page, and `?tfjsflags=` was applied.
 */

let h: Harness;
const DIST = resolve(__dirname, '..', '..', 'dist');
const HOSTILE = join(DIST, 'hostile-link'); // served by vite preview for the length of this file

beforeAll(async () => {
  // A model folder on the lab's own origin whose manifest lists its one shard 5,000 times.
  const bundled = join(DIST, 'models', 'mlp-64');
  const json = JSON.parse(readFileSync(join(bundled, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[] }> };
  json.weightsManifest[0].paths = Array(5000).fill('weights.bin');
  mkdirSync(HOSTILE, { recursive: true });
  writeFileSync(join(HOSTILE, 'model.json'), JSON.stringify(json));
  copyFileSync(join(bundled, 'weights.bin'), join(HOSTILE, 'weights.bin'));
  h = await startHarness();
});

afterAll(async () => {
  rmSync(HOSTILE, { recursive: true, force: true });
  await h?.close();
});

async function open(query: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await h.browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${h.url}${query}`);
  await page.getByTestId('lab').waitFor({ timeout: 120_000 });
  await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 120_000, interval: 200 }).toMatch(/%$/);
  return { page, pageErrors };
}

const flag = (page: Page, name: string) => page.evaluate((n) => (window as unknown as { __tfFlag(n: string): unknown }).__tfFlag(n), name);

describe('crafted links open the lab with a message', () => {
  it.each([
    ['?foo=%', /broken %-escape in "foo=%"/],
    ['?ranks=%', /broken %-escape in "ranks=%"/],
    ['?model=%E0%A4%A', /broken %-escape in "model=%E0%A4%A"/],
    ['?tfjsflags=garbage', /TF\.js flags cannot be set from a link/],
    ['?ranks=0', /Rank 0 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/],
    ['?ranks=fc1%3D0', /Rank 0 for layer "fc1" is out of range: its 784x64 kernel allows 1\.\.64/],
    ['?model=mlp-9000&ranks=fc1%3D8', /There is no bundled model "mlp-9000" \(bundled: mlp-64, mlp-512, cnn\); the lab opened mlp-64/],
    ['?lesson=99', /lesson step "99" in the address must be a whole number from 1 to 20/],
    ['?preset=nope', /There is no preset "nope"/],
    ['?model=models/nothing-here/model.json', /There is no model at \/models\/nothing-here\/model\.json on this site/],
  ])('%s', async (query, message) => {
    const { page, pageErrors } = await open(query);
    expect(await page.getByTestId('lab').getAttribute('data-model')).toBe('mlp-64');
    expect(await page.getByTestId('error').textContent()).toMatch(message);
    expect(await page.getByTestId('rank-fc1').textContent()).toBe('64'); // the default: full rank
    expect(pageErrors).toEqual([]);
    // The address now holds the link of what is on screen, nothing of the refused part.
    await expect.poll(() => new URL(page.url()).search).toBe('?model=mlp-64');
    await page.close();
  });

  it('keeps the well-formed rest of a link whose other part is malformed', async () => {
    const { page } = await open('?model=mlp-512&ranks=fc1%3D8&groups=%zz');
    expect(await page.getByTestId('lab').getAttribute('data-model')).toBe('mlp-512');
    expect(await page.getByTestId('rank-fc1').textContent()).toBe('8');
    expect(await page.getByTestId('error').textContent()).toMatch(/broken %-escape in "groups=%zz"/);
    await expect.poll(() => new URL(page.url()).search).toBe('?model=mlp-512&ranks=fc1%3D8');
    await page.close();
  });

  it('refuses a ?model= whose manifest lists one shard 5,000 times, without fetching the shard once', async () => {
    const page = await h.browser.newPage();
    const asked: string[] = [];
    page.on('request', (r) => { if (r.url().includes('/hostile-link/')) asked.push(new URL(r.url()).pathname); });
    await page.goto(`${h.url}?model=hostile-link/model.json`);
    await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 120_000, interval: 200 }).toMatch(/%$/);
    expect(await page.getByTestId('lab').getAttribute('data-model')).toBe('mlp-64');
    expect(await page.getByTestId('error').textContent()).toMatch(/lists the weight shard "weights.bin" more than once/);
    expect(asked).toEqual(['/hostile-link/model.json']);
    await page.close();
  });

  it('lets no link set a TF.js flag', async () => {
    const { page } = await open('?tfjsflags=DEBUG:true,KEEP_INTERMEDIATE_TENSORS:true,WASM_HAS_SIMD_SUPPORT:false');
    expect(await page.getByTestId('error').textContent()).toMatch(/TF\.js flags cannot be set from a link/);
    expect(await flag(page, 'DEBUG')).toBe(false);
    expect(await flag(page, 'KEEP_INTERMEDIATE_TENSORS')).toBe(false);
    expect(await flag(page, 'WASM_HAS_SIMD_SUPPORT')).toBe(true); // Chromium's wasm has SIMD; the link said false
    await page.close();
  });
});
