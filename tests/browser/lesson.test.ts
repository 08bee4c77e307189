import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { LESSON_STEP_IDS } from '../../src/store/lessonSlice';
import { LESSON_STEPS } from '../../src/ui/lesson/steps';
import { startHarness, type Harness } from './harness';

/**
 * The lesson walked with the keyboard only (Tab, Enter, Space, arrows; no
 * clicks) on mlp-64, in presentation mode: each step shows its own text and
 * its own controls and none of the others, the arrows move between steps
 * except inside a slider (where they change the rank), Next stays put on
 * the last step, and leaving the lesson brings the whole lab back.
 */

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  page = await h.browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${h.url}?model=mlp-64`);
  await page.getByTestId('lab').waitFor({ timeout: 240_000 });
  await page.waitForFunction(() => /%$/.test(document.querySelector('[data-testid="accuracy"]')?.textContent ?? ''), null, { timeout: 240_000 });
});

afterAll(async () => {
  await h?.close();
});

/** Presses Tab (Shift+Tab when `back`) until the element matching `selector` has focus; fails after 80 presses. */
async function tabTo(selector: string, back = false): Promise<void> {
  for (let i = 0; i < 80; i++) {
    if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

const stepId = () => page.getByTestId('lesson').getAttribute('data-step');
const partsShown = () => page.$$eval('[data-lesson-part]', (els) => els.map((e) => e.getAttribute('data-lesson-part')));
const count = (testId: string) => page.getByTestId(testId).count();

/** The step on screen shows its own title and instruction, exactly its own parts, and the lab's chrome is gone. */
async function expectStep(index: number): Promise<void> {
  const id = LESSON_STEP_IDS[index];
  await expect.poll(stepId).toBe(id);
  expect(await page.getByTestId('lesson-title').textContent()).toBe(LESSON_STEPS[id].title);
  expect(await page.getByTestId('lesson-do').textContent()).toBe(LESSON_STEPS[id].doThis);
  expect(await partsShown()).toEqual([...LESSON_STEPS[id].parts]);
  expect(await page.evaluate(() => document.documentElement.classList.contains('presenting'))).toBe(true);
  expect(await page.getByTestId('model-select').isVisible()).toBe(false);
}

describe('lesson, keyboard only', () => {
  it('walks warm-up -> one layer -> all layers -> methods in presentation mode, each step with only its own controls', async () => {
    await tabTo('[data-testid="lesson-start"]');
    await page.keyboard.press('Enter');
    await expect.poll(stepId).toBe('warmup');
    await tabTo('[data-testid="lesson-present"]');
    await page.keyboard.press('Space');
    await expectStep(0);
    expect(await count('layers')).toBe(0);
    expect(await count('method-select')).toBe(0);

    // ArrowRight on a button moves on: step 2 shows fc1's slider and no other layer's.
    await page.keyboard.press('ArrowRight');
    await expectStep(1);
    expect(await page.locator('#rank-fc1').count()).toBe(1);
    expect(await page.locator('#rank-fc2, #rank-out').count()).toBe(0);
    expect(await count('layers')).toBe(0);
    expect(await count('method-select')).toBe(0);
    expect(await count('accuracy')).toBe(1);

    // Inside the slider the arrows change the rank, not the step.
    await tabTo('#rank-fc1', true);
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('rank-fc1').textContent()).toBe('63');
    expect(await stepId()).toBe('one-layer');

    await tabTo('[data-testid="lesson-next"]');
    await page.keyboard.press('Enter');
    await expectStep(2);
    expect(await count('layers')).toBe(1);
    expect(await page.locator('#rank-fc1, #rank-fc2, #rank-out').count()).toBe(3);
    expect(await count('method-select')).toBe(0);

    await page.keyboard.press('Space');
    await expectStep(3);
    expect(await count('method-select')).toBe(1);
    expect(await count('start-compare')).toBe(1);
    expect(await count('layers')).toBe(0);
    expect(await page.locator('input[type="range"]').count()).toBe(0);

    // Next stays focusable on the last step and does nothing there; Previous goes back.
    await page.keyboard.press('Enter');
    await expectStep(3);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('lesson-next');
    await tabTo('[data-testid="lesson-prev"]', true);
    await page.keyboard.press('Enter');
    await expectStep(2);
  });

  it('leaving presentation and the lesson brings back the whole lab, at the ranks set on the way', async () => {
    await tabTo('[data-testid="lesson-present"]');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.documentElement.classList.contains('presenting'))).toBe(false);
    expect(await count('method-select')).toBe(1);
    await tabTo('[data-testid="lesson-exit"]');
    await page.keyboard.press('Enter');
    expect(await count('lesson')).toBe(0);
    expect(await page.getByTestId('rank-fc1').textContent()).toBe('63');
    expect(await page.locator('#rank-fc1, #rank-fc2, #rank-out').count()).toBe(3);
  });

  it('a link with lesson=2&present=1 opens the one-layer step in presentation mode, and the address keeps it', async () => {
    const linked = await h.browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await linked.goto(`${h.url}?model=mlp-64&lesson=2&present=1`);
      await linked.getByTestId('lesson').waitFor({ timeout: 240_000 });
      await expect.poll(() => linked.getByTestId('lesson').getAttribute('data-step'), { timeout: 240_000 }).toBe('one-layer');
      expect(await linked.evaluate(() => document.documentElement.classList.contains('presenting'))).toBe(true);
      await linked.locator('#rank-fc1').waitFor({ timeout: 240_000 });
      expect(await linked.getByTestId('method-select').count()).toBe(0);
      const query = new URLSearchParams(new URL(linked.url()).search);
      expect([query.get('lesson'), query.get('present')]).toEqual(['2', '1']);
    } finally {
      await linked.close();
    }
  });
});
