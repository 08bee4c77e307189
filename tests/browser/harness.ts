import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Helpers for the browser tests of the built lab: startHarness (vite preview
 * of dist/ plus Chromium, from src/cli/chromium.ts; npm test builds first),
 * download folders, and a loopback server for downloaded files.
 */

export { startHarness, type Harness } from '../../src/cli/chromium';

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
