import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preview, type PreviewServer } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../src/cli/chromium';

/**
 * Real Chromium against the built lab. Debian's chromium with the flags
 * ../shared/BROWSER.md lists; --enable-unsafe-webgpu gives WebGPU through
 * SwiftShader, so the WebGPU path runs with no GPU. The lab is served by
 * `vite preview` from dist/ (npm test builds it first).
 */

export interface Harness {
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/** Serves dist/ and starts Chromium; close() stops both. */
export async function startHarness(): Promise<Harness> {
  const server: PreviewServer = await preview({ preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
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

/** A fresh folder for downloads. */
export function downloadDir(): string {
  return mkdtempSync(join(tmpdir(), 'lab-download-'));
}

/** Serves the files of `dir` over http on loopback, so stock tf.loadLayersModel can fetch them. */
export async function serveDir(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    try {
      const name = decodeURIComponent((req.url ?? '/').split('?')[0].slice(1));
      if (name.includes('/') || name.includes('..')) throw new Error('bad path');
      res.end(readFileSync(join(dir, name)));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, server };
}
