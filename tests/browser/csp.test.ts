import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { isWorkerScript, metaPolicy, securityHeaders } from '../../src/server/securityHeaders';
import { startHarness, type Harness } from './harness';

/**
 * The security headers as Chromium gets them from `vite preview` (the project's
 * config, so its middleware): the page and the worker scripts carry their policies,
 * the lab loads and scores under them, and neither a worker nor the page can reach
 * another origin. A loopback server on another port stands for that origin and
 * records what reaches it; it answers with CORS allowed, so without a policy the
 * probes' fetches would succeed.
 */

/** The build the harness serves: $LAB_DIST when set (as startHarness reads it), else dist/. */
const DIST = process.env.LAB_DIST ? resolve(process.env.LAB_DIST) : resolve(__dirname, '..', '..', 'dist');
const PROBE_PAGE = 'csp-probe.html'; // a bare same-origin page: the headers are its only policy
const PROBE_WORKER = 'csp-probe.worker-test.js'; // named like a built worker script

let h: Harness;
let foreign: Server;
let foreignUrl = '';
const received: string[] = [];

/** A policy header or meta value back as directive -> sources. */
function parsePolicy(value: string): Record<string, string[]> {
  return Object.fromEntries(value.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name, sources]));
}

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

  it("holds the built lab page's own scripts to itself and TF.js's wasm: no eval, no Function, no remote <script>", async () => {
    const page = await h.browser.newPage();
    const response = await page.goto(h.url);
    await page.getByTestId('lab').waitFor({ timeout: 240_000 });
    // The policies the page really got, from the header and from the <meta> tag of the built index.html.
    const header = parsePolicy(response!.headers()['content-security-policy']);
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toBe(metaPolicy());
    for (const [where, policy] of [['header', header], ['meta', parsePolicy(meta!)]] as const) {
      expect(policy['script-src'], where).toEqual(["'self'", "'wasm-unsafe-eval'"]);
      expect(policy['default-src'], where).toEqual(["'self'"]);
      for (const sources of Object.values(policy)) {
        expect(sources, where).not.toContain("'unsafe-eval'");
        expect(sources.filter((src) => /^(https?:|wss?:|\*)/.test(src) || src.includes('//')), where).toEqual([]);
      }
    }

    // Running code from text is refused, and each refusal is reported as a script-src violation. The attempts run in
    // a task of the page's own (a timer callback): code that DevTools evaluates directly is exempt from 'unsafe-eval' checks.
    await page.evaluate(() => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
      const tryRun = (run: () => unknown) => { try { run(); return 'ran'; } catch (e) { return (e as Error).name; } };
      (window as unknown as { __probe: Promise<unknown> }).__probe = new Promise((resolve) => setTimeout(() => {
        const results = {
          eval: tryRun(() => (0, eval)('1 + 1')),
          Function: tryRun(() => new Function('return 1')()),
          setTimeoutString: tryRun(() => (setTimeout as unknown as (code: string) => void)('window.__ranFromString = true')),
        };
        // Violation events are dispatched as tasks: wait (a bounded number of frames) for all six before reading them.
        let frames = 0;
        const check = () => (violations.length >= 6 || ++frames > 120
          ? resolve({ results, violations, ranFromString: (window as unknown as { __ranFromString?: boolean }).__ranFromString === true })
          : requestAnimationFrame(check));
        check();
      }, 0));
    });
    const attempts = await page.evaluate(() => (window as unknown as { __probe: Promise<{ results: unknown; violations: string[]; ranFromString: boolean }> }).__probe);
    expect(attempts.results).toEqual({ eval: 'EvalError', Function: 'EvalError', setTimeoutString: 'ran' });
    expect(attempts.ranFromString).toBe(false);
    // Each attempt is refused by both policies the page carries, the header's and the <meta> tag's.
    expect(attempts.violations).toEqual(Array(6).fill('script-src eval'));

    // A <script> from another origin injected into the page never loads, and never reaches that origin.
    const remote = await page.evaluate((src) => new Promise<{ loaded: boolean; directive: string; blocked: string }>((resolve) => {
      let directive = '';
      let blocked = '';
      document.addEventListener('securitypolicyviolation', (e) => { directive = e.effectiveDirective; blocked = e.blockedURI; });
      const script = document.createElement('script');
      script.src = src;
      script.onload = () => resolve({ loaded: true, directive, blocked });
      script.onerror = () => setTimeout(() => resolve({ loaded: false, directive, blocked }), 0);
      document.head.append(script);
    }), `${foreignUrl}/remote-script.js`);
    expect(remote).toEqual({ loaded: false, directive: 'script-src-elem', blocked: `${foreignUrl}/remote-script.js` });
    expect(received).not.toContain('/remote-script.js');
    await page.close();
  }, 300_000);
});
