import type { Browser, Page } from 'playwright-core';

/**
 * Helpers shared by the browser tests of the teaching views: opening the
 * lab on a page, and reading a canvas's pixels back to judge what it drew
 * (distinct colours, pixels off a reference colour, a fingerprint), so a
 * test checks the picture and not only that no exception was thrown.
 */

/** What a canvas drew: distinct colours, pixel count, pixels that differ from the reference colour, and a fingerprint of every pixel. */
export interface CanvasStats {
  colours: number;
  pixels: number;
  notRgb: number;
  hash: number;
  width: number;
  height: number;
}

/** The heatmaps' neutral colour (the diverging scale's 0): W - W_k is all this at full rank. */
export const NEUTRAL_RGB: [number, number, number] = [247, 247, 247];

/**
 * Opens the built lab at `query` (e.g. '?model=cnn') in a fresh page of
 * `browser` at 1280 x 900, logs page errors, and waits until the lab and its
 * views are on screen. The caller closes the page.
 */
export async function openLab(browser: Browser, url: string, query: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${url}${query}`);
  await page.getByTestId('lab').waitFor({ timeout: 120_000 });
  await page.getByTestId('views').waitFor({ timeout: 60_000 });
  return page;
}

/** canvasStatsAt for the canvas whose data-testid is `testId`. */
export function canvasStats(page: Page, testId: string, rgb: [number, number, number] = NEUTRAL_RGB): Promise<CanvasStats> {
  return canvasStatsAt(page, `canvas[data-testid="${testId}"]`, rgb);
}

/**
 * The pixels of the first canvas matching the CSS `selector`, summarised:
 * distinct colours, pixel count, how many pixels differ from `rgb`, a
 * fingerprint, and the canvas's own width and height in pixels. Throws in
 * the page when no canvas matches.
 */
export function canvasStatsAt(page: Page, selector: string, rgb: [number, number, number] = NEUTRAL_RGB): Promise<CanvasStats> {
  return page.evaluate(([sel, ref]) => {
    const c = document.querySelector(sel) as HTMLCanvasElement | null;
    if (!c) throw new Error(`No canvas matches ${sel}.`);
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    const colours = new Set<number>();
    let notRgb = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (d[i] !== ref[0] || d[i + 1] !== ref[1] || d[i + 2] !== ref[2]) notRgb++;
      hash = (hash * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
    }
    return { colours: colours.size, pixels: d.length / 4, notRgb, hash, width: c.width, height: c.height };
  }, [selector, rgb] as const);
}
