import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BrowserContext, Page } from 'playwright-core';
import { stockAccuracy } from '../helpers/stockAccuracy';
import { downloadDir, serveDir, startHarness, type Harness } from './harness';
import { saveAndUnzip } from './zipDownload';

/**
 * Sharing on mlp-64 in real Chromium: a share link shows the same numbers
 * as configuring by hand with the keyboard; Copy link copies the address
 * (or, without a clipboard, selects it in a read-only field); a mangled
 * link shows a message, leaves the address without the bad keys and opens
 * the default lab; Undo/Redo from the keyboard restore rank and accuracy;
 * the download is one zip named after the configuration whose model.json
 * stock TF.js loads; a preset applies from the select; a model opened from
 * files says the link cannot carry it.
 */

let h: Harness;
let context: BrowserContext;
const MLP64 = resolve(__dirname, '..', '..', 'public', 'models', 'mlp-64');

beforeAll(async () => {
  h = await startHarness();
  await tf.setBackend('cpu');
  context = await h.browser.newContext({ acceptDownloads: true, permissions: ['clipboard-read', 'clipboard-write'] });
});

afterAll(async () => {
  await context?.close();
  await h?.close();
});

async function open(query: string, page?: Page): Promise<Page> {
  const p = page ?? await context.newPage();
  p.on('pageerror', (e) => console.error('page error:', e.message));
  await p.goto(`${h.url}${query}`);
  await p.getByTestId('lab').waitFor({ timeout: 120_000 });
  await accuracy(p);
  return p;
}

/** The accuracy shown once it belongs to the ranks on screen. */
async function accuracy(page: Page): Promise<string> {
  await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 120_000, interval: 200 }).toMatch(/%$/);
  return (await page.getByTestId('accuracy').textContent())!;
}

/** Moves `layer`'s slider to rank `k` with the keyboard: Home (rank 1), then ArrowRight. */
async function setRankByKeys(page: Page, layer: string, k: number): Promise<void> {
  await page.getByLabel(new RegExp(`Rank of ${layer}\\b`)).focus();
  await page.keyboard.press('Home');
  for (let i = 1; i < k; i++) await page.keyboard.press('ArrowRight');
  await expect.poll(() => page.getByTestId(`rank-${layer}`).textContent()).toBe(String(k));
}

const search = (page: Page) => new URL(page.url()).search;

describe('sharing mlp-64', () => {
  it('a share link shows the numbers configuring by hand showed, and Copy link copies it', async () => {
    const page = await open('?model=mlp-64');
    await setRankByKeys(page, 'fc1', 12);
    await setRankByKeys(page, 'fc2', 6);
    const byHand = { accuracy: await accuracy(page), size: await page.getByTestId('stored-size').textContent() };
    await expect.poll(() => search(page)).toBe('?model=mlp-64&ranks=fc1%3D12%2Cfc2%3D6');
    await page.getByTestId('copy-link').click();
    await page.getByTestId('copy-status').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(page.url());

    const shared = await open(new URL(copied).search);
    expect({ accuracy: await accuracy(shared), size: await shared.getByTestId('stored-size').textContent() }).toEqual(byHand);
    expect(await shared.getByTestId('error').count()).toBe(0);
    await shared.close();
    await page.close();
  });

  it('without a clipboard, Copy link selects the link in a read-only field', async () => {
    const page = await context.newPage();
    await page.addInitScript(() => Object.defineProperty(navigator, 'clipboard', { value: undefined }));
    await open('?model=mlp-64&ranks=fc1%3D5', page);
    await page.getByTestId('copy-link').click();
    const field = page.getByTestId('share-link-text');
    await expect.poll(() => field.inputValue()).toBe(page.url());
    expect(await field.getAttribute('readonly')).not.toBeNull();
    const selected = await field.evaluate((el: HTMLInputElement) => document.activeElement === el && el.selectionStart === 0 && el.selectionEnd === el.value.length);
    expect(selected).toBe(true);
    await page.close();
  });

  it('a mangled link shows a message, cleans the address and opens the default lab', async () => {
    const page = await open('?model=mlp-64&ranks=fc1%3D999&method=magic&lesson=0');
    expect(await page.getByTestId('lab').getAttribute('data-model')).toBe('mlp-64');
    const message = await page.getByTestId('error').textContent();
    expect(message).toMatch(/The method "magic" in the address is not one of svd/);
    expect(message).toMatch(/lesson step "0"/);
    expect(message).toMatch(/Rank 999 for layer "fc1" is out of range/);
    expect(await page.getByTestId('rank-fc1').textContent()).toBe('64');
    await expect.poll(() => search(page)).toBe('?model=mlp-64');
    await page.close();
  });

  it('Undo and Redo from the keyboard restore the rank and the accuracy', async () => {
    const page = await open('?model=mlp-64');
    const original = await accuracy(page);
    await setRankByKeys(page, 'fc1', 1);
    const low = await accuracy(page);
    expect(low).not.toBe(original);
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('64');
    expect(await accuracy(page)).toBe(original);
    await expect.poll(() => search(page)).toBe('?model=mlp-64');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('1');
    expect(await accuracy(page)).toBe(low);
    // Reset is one more step, which Undo takes back.
    await page.getByTestId('reset').click();
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('64');
    await page.getByTestId('undo').click();
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('1');
    await page.close();
  });

  it('downloads one zip named after the configuration; stock TF.js loads its model.json and scores what the page shows', async () => {
    const page = await open('?model=mlp-64&ranks=fc1%3D16%2Cfc2%3D16');
    const shown = await accuracy(page);
    const dir = downloadDir();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download').click()]);
    const { zipName, entries } = await saveAndUnzip(download, dir);
    expect(zipName).toBe('mlp-64-svd-fc1_16-fc2_16.zip');
    expect(entries).toEqual(['mlp-64-svd-fc1_16-fc2_16.weights.bin', 'model.json']);
    await expect.poll(() => page.getByTestId('download-name').textContent()).toBe(zipName);
    const { url, server } = await serveDir(dir);
    try {
      const stock = await stockAccuracy(await tf.loadLayersModel(`${url}/model.json`));
      expect(Math.abs(100 * stock - parseFloat(shown))).toBeLessThanOrEqual(0.005);
    } finally {
      server.close();
    }
    await page.close();
  });

  it('applies a teacher preset from the select, and the address follows', async () => {
    const page = await open('?model=mlp-64');
    await page.getByTestId('preset-select').selectOption('mlp64-r16');
    await expect.poll(() => page.getByTestId('rank-fc2').textContent()).toBe('16');
    expect(await page.getByTestId('rank-fc1').textContent()).toBe('16');
    await expect.poll(() => search(page)).toBe('?model=mlp-64&ranks=fc1%3D16%2Cfc2%3D16');
    await page.close();
  });

  it('says that a model opened from files cannot travel in a link', async () => {
    const page = await open('?model=mlp-64');
    await page.getByTestId('file-input').setInputFiles([join(MLP64, 'model.json'), join(MLP64, 'weights.bin')]);
    await expect.poll(() => page.getByTestId('link-caveat').textContent(), { timeout: 120_000 }).toMatch(/a model itself cannot travel in a link/);
    await page.close();
  });
});
