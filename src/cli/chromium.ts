import { createServer, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness';

/**
 * A Vite dev server over the repository plus Chromium, for pages that test
 * src/gpu directly (tests/browser/gpu/index.html): no build needed, and the
 * page imports the same case tables the Node tests use.
 */
export interface DevHarness {
  browser: Browser;
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

export async function startDevHarness(): Promise<DevHarness> {
  const server: ViteDevServer = await createServer({ server: { port: 0, host: '127.0.0.1' }, logLevel: 'warn', clearScreen: false });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite dev server did not report a URL');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    browser,
    async open(path) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => console.error('page error:', e.message));
      page.on('console', (m) => { if (m.type() === 'error') console.error('console:', m.text()); });
      await page.goto(new URL(path, url).href);
      await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 120_000 });
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
