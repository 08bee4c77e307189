import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { isWorkerScript, securityHeaders } from '../../src/server/securityHeaders';
import { startHarness, type Harness } from './harness';

/**
 * The security headers as Chromium gets them from `vite preview` (the project's
 * config, so its middleware): the page and the worker scripts carry their policies,
 * the lab loads and scores under them, and neither a worker nor the page can reach
 * another origin. A loopback server on another port stands for that origin and
 * records what reaches it; it answers with CORS allowed, so without a policy the
 * probes' fetches would succeed.
 */

const DIST = resolve(__dirname, '..', '..', 'dist');
const PROBE_PAGE = 'csp-probe.html'; // a bare same-origin page: the headers are its only policy
const PROBE_WORKER = 'csp-probe.worker-test.js'; // named like a built worker script

let h: Harness;
let foreign: Server;
let foreignUrl = '';
const received: string[] = [];

/** What a probe reports: whether its fetch got an answer, and the directive that refused it. */
interface ProbeResult { fetched: boolean; directive?: string }

/** The probe worker: fetches from the other origin; on failure waits for the violation event that says why. */
function probeWorkerSource(url: string): string {
  return `const violation = new Promise((resolve) => self.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective)));
fetch(${JSON.stringify(url)}).then(
  () => postMessage({ fetched: true }),
  async () => postMessage({ fetched: false, directive: await violation }),
);
`;
}

beforeAll(async () => {
  foreign = createServer((req, res) => {
    received.push(req.url ?? '');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.end('reached');
  });
  await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
  const address = foreign.address();
  foreignUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  writeFileSync(join(DIST, PROBE_PAGE), '<!doctype html>\n<title>CSP probe</title>\n');
  writeFileSync(join(DIST, 'assets', PROBE_WORKER), probeWorkerSource(`${foreignUrl}/from-worker`));
  h = await startHarness();
});

afterAll(async () => {
  rmSync(join(DIST, PROBE_PAGE), { force: true });
  rmSync(join(DIST, 'assets', PROBE_WORKER), { force: true });
  await h?.close();
  await new Promise<void>((resolve) => (foreign ? foreign.close(() => resolve()) : resolve()));
});

async function openProbePage(): Promise<Page> {
  const page = await h.browser.newPage();
  await page.goto(`${h.url}${PROBE_PAGE}`);
  return page;
}

describe('security headers in Chromium', () => {
  it('serves the lab page with the document policy and the worker scripts with the worker policy; the lab loads and scores under them', async () => {
    const page = await h.browser.newPage();
    const consoleViolations: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text()); });
    await page.addInitScript(() => {
      const seen: string[] = ((window as unknown as { __violations: string[] }).__violations = []);
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.effectiveDirective} ${e.blockedURI}`));
    });
    const response = await page.goto(h.url);
    const expected = securityHeaders('/');
    for (const [name, value] of Object.entries(expected)) expect(response?.headers()[name.toLowerCase()], name).toBe(value);

    const workers = readdirSync(join(DIST, 'assets')).filter((f) => isWorkerScript(f) && f !== PROBE_WORKER);
    expect(workers.length).toBeGreaterThanOrEqual(2);
    for (const file of workers) {
      const r = await page.request.get(`${h.url}assets/${file}`);
      expect(r.headers()['content-security-policy'], file).toBe(securityHeaders(`/assets/${file}`)['Content-Security-Policy']);
      expect(r.headers()['content-security-policy'], file).not.toBe(expected['Content-Security-Policy']);
    }

    // The lab decomposes in its CPU worker and scores on wasm: both need what the policies allow.
    await page.getByTestId('lab').waitFor({ timeout: 240_000 });
    await expect.poll(() => page.getByTestId('accuracy').textContent(), { timeout: 240_000, interval: 200 }).toMatch(/%$/);
    expect(await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)).toEqual([]);
    expect(consoleViolations).toEqual([]);
    await page.close();
  }, 300_000);

  it("blocks a same-origin worker's fetch to another origin: the request never leaves", async () => {
    const page = await openProbePage();
    const result = await page.evaluate((src) => new Promise<ProbeResult | { error: string }>((resolve) => {
      const worker = new Worker(src);
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => resolve({ error: e.message });
    }), `assets/${PROBE_WORKER}`);
    expect(received).not.toContain('/from-worker');
    expect(result).toEqual({ fetched: false, directive: 'connect-src' });
    await page.close();
  });

  it('blocks a fetch from the page to another origin: the request never leaves', async () => {
    const page = await openProbePage();
    const result = await page.evaluate(async (url) => {
      const violation = new Promise<string>((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective)));
      try {
        await fetch(url);
        return { fetched: true };
      } catch {
        return { fetched: false, directive: await violation };
      }
    }, `${foreignUrl}/from-page`);
    expect(received).not.toContain('/from-page');
    expect(result).toEqual({ fetched: false, directive: 'connect-src' });
    await page.close();
  });
});
