import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import AxeBuilder from '@axe-core/playwright';
import type { BrowserContextOptions, Page } from 'playwright-core';
import { startHarness, type Harness } from './harness';

/**
 * Access in real Chromium on mlp-64: axe-core finds no serious or critical
 * violation on the lab page, in lesson mode and in presentation mode; the
 * page never scrolls sideways from a 360 px phone to 4K (and at 720 px with
 * deviceScaleFactor 2, standing in for 200% zoom of a 1440 px window);
 * tabbing through the rank sliders leaves the selected layer alone, while
 * Enter on a slider or a change of its value selects it; an explanation
 * opens and closes from the keyboard with focus returned.
 */

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  page = await openLab({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await h?.close();
});

async function openLab(options: BrowserContextOptions): Promise<Page> {
  // axe's finishing step opens a page in the same context, which a context made by browser.newPage() refuses.
  const p = await (await h.browser.newContext(options)).newPage();
  p.on('pageerror', (e) => console.error('page error:', e.message));
  await p.goto(`${h.url}?model=mlp-64`);
  await p.getByTestId('lab').waitFor({ timeout: 240_000 });
  await p.waitForFunction(() => /%$/.test(document.querySelector('[data-testid="accuracy"]')?.textContent ?? ''), null, { timeout: 240_000 });
  return p;
}

/** axe's serious and critical violations, as `rule: target` lines (empty when there are none). */
async function seriousViolations(p: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page: p }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${n.failureSummary?.split('\n')[1]?.trim() ?? v.help})`));
}

/** [scrollWidth, clientWidth] of the document: equal when nothing sticks out sideways. */
const widths = (p: Page) => p.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);

const selectedRow = (p: Page) => p.$$eval('.rank-slider.selected', (rows) => rows.map((r) => r.getAttribute('data-testid')));
const focusedId = (p: Page) => p.evaluate(() => document.activeElement?.id ?? '');

/** Presses Tab until the element with id `id` has focus; fails after 80 presses. */
async function tabToId(p: Page, id: string): Promise<void> {
  for (let i = 0; i < 80 && (await focusedId(p)) !== id; i++) await p.keyboard.press('Tab');
  expect(await focusedId(p)).toBe(id);
}

describe('access', () => {
  it('tabbing through the sliders keeps the selected layer; Enter on a slider or moving it selects its layer', async () => {
    expect(await selectedRow(page)).toEqual(['slider-row-fc1']);
    await tabToId(page, 'rank-fc1');
    await tabToId(page, 'rank-fc2');
    await tabToId(page, 'rank-out');
    expect(await selectedRow(page)).toEqual(['slider-row-fc1']);
    await page.keyboard.press('Enter');
    expect(await selectedRow(page)).toEqual(['slider-row-out']);
    await page.keyboard.press('Shift+Tab');
    for (let i = 0; i < 20 && (await focusedId(page)) !== 'rank-fc2'; i++) await page.keyboard.press('Shift+Tab');
    expect(await focusedId(page)).toBe('rank-fc2');
    expect(await selectedRow(page)).toEqual(['slider-row-out']);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => selectedRow(page)).toEqual(['slider-row-fc2']);
    expect(await page.getByTestId('rank-fc2').textContent()).toBe('63');
  });

  it('opens an explanation with the keyboard, closes it with Esc and puts focus back on its button', async () => {
    const button = page.getByTestId('explain-logit-error');
    const panel = page.getByTestId('explain-panel-logit-error');
    await button.focus();
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await panel.isVisible()).toBe(false);
    await page.keyboard.press('Enter');
    expect(await button.getAttribute('aria-expanded')).toBe('true');
    expect(await button.getAttribute('aria-controls')).toBe(await panel.getAttribute('id'));
    expect(await panel.isVisible()).toBe(true);
    expect(await panel.textContent()).toContain('‖Z′ − Z‖_F / ‖Z‖_F');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('explain-panel-logit-error');
    await page.keyboard.press('Escape');
    expect(await panel.isVisible()).toBe(false);
    expect(await button.getAttribute('aria-expanded')).toBe('false');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('explain-logit-error');
    // Space opens it too; tabbing away closes it.
    await page.keyboard.press('Space');
    expect(await panel.isVisible()).toBe(true);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await panel.isVisible()).toBe(false);
  });

  it('axe finds no serious or critical violation on the lab, in lesson mode and in presentation mode', async () => {
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('lesson-start').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('lesson').waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('lesson-next').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('lesson-present').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.documentElement.classList.contains('presenting'))).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByTestId('lesson-exit').focus();
    await page.keyboard.press('Enter');
  });

  it('never scrolls sideways from 360 px to 4K, with an explanation open, nor at 720 px with deviceScaleFactor 2', async () => {
    for (const width of [360, 768, 1400, 3840]) {
      await page.setViewportSize({ width, height: 900 });
      await expect.poll(() => widths(page), { message: `width ${width}` }).toEqual([width, width]);
    }
    await page.setViewportSize({ width: 360, height: 700 });
    await page.getByTestId('explain-lipschitz-bound').focus();
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('explain-panel-lipschitz-bound').isVisible()).toBe(true);
    expect(await widths(page)).toEqual([360, 360]);
    await page.keyboard.press('Escape');

    const zoomed = await openLab({ viewport: { width: 720, height: 900 }, deviceScaleFactor: 2 });
    expect(await widths(zoomed)).toEqual([720, 720]);
    await zoomed.context().close();
  });
});
