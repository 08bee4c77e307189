import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { writeBadModels, type BadModelCase } from '../fixtures/bad-models/make';
import { startHarness, type Harness } from './harness';

/**
 * Every broken and hostile model of tests/fixtures/bad-models/make.ts that a
 * page can be given (all but links, pipes and folders, which only a disk
 * has), opened through the lab's file input in one page session: each is
 * refused with its own message in the banner while the open model, its
 * ranks and its accuracy stay as they were; the next step that succeeds (a
 * rank change, a model opened) clears the message; and the files that are
 * valid open. Files are handed over as paths, so the 65 MB model.json and
 * the shard with 300 MB of trailing bytes cost nothing: the lab checks
 * their sizes before it reads them.
 */

let h: Harness;
let root: string;
let cases: BadModelCase[];

beforeAll(async () => {
  h = await startHarness();
  root = mkdtempSync(join(tmpdir(), 'lab-bad-models-page-'));
  cases = writeBadModels(root);
}, 120_000);

afterAll(async () => {
  await h?.close();
  rmSync(root, { recursive: true, force: true });
});

/** The regular files of a case's folder, as the user would pick them. */
function filesOf(c: BadModelCase): string[] {
  return readdirSync(c.dir).map((f) => join(c.dir, f)).filter((p) => lstatSync(p).isFile());
}

/** What the lab shows of its state: the model, every slider's rank, the accuracy and the original's. */
async function shown(page: Page): Promise<string[]> {
  const ranks = await page.locator('output[data-testid^="rank-"]').allTextContents();
  return [
    (await page.getByTestId('lab').getAttribute('data-model')) ?? '',
    ...ranks,
    (await page.getByTestId('accuracy').textContent()) ?? '',
    (await page.getByTestId('original-accuracy').textContent()) ?? '',
  ];
}

/** Waits until the accuracy shown belongs to the ranks on screen (the lab is idle), and returns it. */
async function idleAccuracy(page: Page): Promise<string> {
  await page.evaluate(() => (window as unknown as { __lab: { getState(): { whenIdle(): Promise<void> } } }).__lab.getState().whenIdle());
  const acc = page.getByTestId('accuracy');
  await expect.poll(() => acc.textContent(), { timeout: 60_000 }).toMatch(/%$/);
  return (await acc.textContent())!;
}

/** The store's loading state: whether a model is open and idle, the message and the model's name. */
function opened(page: Page): Promise<{ phase: string; loading: boolean; error: string | null; model: string | null }> {
  return page.evaluate(() => {
    const s = (window as unknown as { __lab: { getState(): { phase: string; loadProgress: unknown; error: string | null; modelName: string | null } } }).__lab.getState();
    return { phase: s.phase, loading: s.loadProgress !== null, error: s.error, model: s.modelName };
  });
}

/** Opens `c`'s files through the file input and waits for the banner to show a message (dismissing the last one first). */
async function refuse(page: Page, c: BadModelCase): Promise<string> {
  const banner = page.getByTestId('error');
  if (await banner.count()) await page.getByRole('button', { name: 'Dismiss error' }).click();
  await expect.poll(() => banner.count()).toBe(0);
  await page.getByTestId('file-input').setInputFiles(filesOf(c));
  await banner.waitFor({ timeout: 60_000 });
  return (await banner.textContent()) ?? '';
}

describe('bad model files in the page', () => {
  it('are each refused with their own message, leave the model, ranks and accuracy as they were, and the next success clears the message', async () => {
    const refused = cases.filter((c) => c.browser && c.exit === 1);
    const opening = cases.filter((c) => c.browser && c.exit === 0);
    expect(refused.length).toBeGreaterThanOrEqual(40);
    const page = await h.browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${h.url}?model=mlp-64`);
    await page.getByTestId('lab').waitFor({ timeout: 240_000 });
    await idleAccuracy(page);
    await page.getByLabel(/Rank of fc1/).focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 9; i++) await page.keyboard.press('ArrowRight'); // fc1 = 10
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('10');
    await idleAccuracy(page);
    const before = await shown(page);

    for (const c of refused) {
      const message = await refuse(page, c);
      expect(message, c.name).toMatch(c.message);
      expect(message, c.name).not.toMatch(/Improper config format|Maximum call stack|is not a function|Provided weight data|weights are not set|Shape mismatch|Unknown layer/);
      await idleAccuracy(page);
      expect(await shown(page), c.name).toEqual(before);
    }

    // The next success clears the message: a rank change, scored.
    await page.getByLabel(/Rank of fc1/).focus();
    await page.keyboard.press('ArrowRight'); // fc1 = 11
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('11');
    await idleAccuracy(page);
    await expect.poll(() => page.getByTestId('error').count()).toBe(0);

    // The valid files open (each after a refusal, so that its success is seen clearing the message).
    for (const c of opening) {
      await refuse(page, refused[0]);
      await page.getByTestId('file-input').setInputFiles(filesOf(c));
      // Opened and idle, with no message: a refusal would leave the message and never get here.
      await expect.poll(() => opened(page), { timeout: 60_000 }).toEqual({ phase: 'ready', loading: false, error: null, model: 'tiny' });
      expect(await page.getByTestId('error').count(), c.name).toBe(0);
      expect(await idleAccuracy(page), c.name).toMatch(/^\d+\.\d+%$/);
    }
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 600_000);
});
