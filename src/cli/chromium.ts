import { createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Flags from ../shared/BROWSER.md: headless, no network chatter, WebGPU through SwiftShader. */
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--enable-unsafe-webgpu',
];

/** Debian's Chromium unless CHROMIUM_PATH says otherwise. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * A Vite dev server over the repository plus Debian's Chromium, for pages
 * that drive src/gpu directly (the GPU test harness, the GPU benchmark) or
 * the lab itself without a build. Used by tests/browser and npm run bench.
 */
export interface DevHarness {
  browser: Browser;
  /** Opens `path` on the dev server and waits until #status reads "ready". */
  open(path: string): Promise<Page>;
  close(): Promise<void>;
}

/** Starts the dev server and Chromium; close() stops both. */
export async function startDevHarness(): Promise<DevHarness> {
  // No HMR and no file watching: a dependency optimized on first use must not reload a page mid-test.
  const server: ViteDevServer = await createServer({
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    optimizeDeps: { entries: ['index.html', 'tests/browser/gpu/*.html', 'src/cli/gpuBench/*.html'] },
    logLevel: 'warn',
    clearScreen: false,
  });
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

/** The built lab (dist/) served by vite preview, with Chromium. */
export interface Harness {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Serves dist/ (build it first), or another build folder (the argument, else
 * $LAB_DIST, so two people can build and test side by side), and starts
 * Chromium; close() stops both.
 */
export async function startHarness(outDir: string | undefined = process.env.LAB_DIST): Promise<Harness> {
  const server: PreviewServer = await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn', ...(outDir ? { build: { outDir } } : {}) });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  return {
    url,
    browser,
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
    },
  };
}
