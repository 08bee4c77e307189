import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DOCUMENT_POLICY, WORKER_POLICY, headersFile, isWorkerScript, metaPolicy, securityHeaders, serializePolicy,
} from '../../src/server/securityHeaders';

/**
 * The lab's security headers: what each policy allows, which paths get which, and
 * that the `_headers` file the build wrote (npm test builds first) says the same.
 */

/** The build under test: $LAB_DIST when set (as the browser harness reads it), else dist/. */
const DIST = process.env.LAB_DIST ? resolve(process.env.LAB_DIST) : resolve(__dirname, '..', '..', 'dist');

/** A policy header value back as directive -> sources. */
function parsePolicy(value: string): Record<string, string[]> {
  return Object.fromEntries(value.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name, sources]));
}

/** A `_headers` file as path -> header -> value. */
function parseHeadersFile(text: string): Record<string, Record<string, string>> {
  const rules: Record<string, Record<string, string>> = {};
  let path = '';
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    if (!/^\s/.test(line)) rules[(path = line.trim())] = {};
    else {
      const at = line.indexOf(':');
      rules[path][line.slice(0, at).trim()] = line.slice(at + 1).trim();
    }
  }
  return rules;
}

const documentHeaders = securityHeaders('/');
const workerHeaders = securityHeaders('/assets/svd.worker-BtolFo88.js');

describe('security headers', () => {
  it('gives documents the lab policy: own origin, TF.js wasm, no plugins, no <base>, no forms, no framing', () => {
    const policy = parsePolicy(documentHeaders['Content-Security-Policy']);
    expect(policy['default-src']).toEqual(["'self'"]);
    expect(policy['script-src']).toEqual(["'self'", "'wasm-unsafe-eval'"]);
    expect(policy['connect-src']).toEqual(["'self'", 'data:', 'blob:']);
    expect(policy['worker-src']).toEqual(["'self'", 'blob:']);
    for (const name of ['object-src', 'base-uri', 'form-action', 'frame-ancestors']) expect(policy[name], name).toEqual(["'none'"]);
  });

  it('gives worker scripts the tighter policy: same-origin scripts and nothing else', () => {
    expect(parsePolicy(workerHeaders['Content-Security-Policy'])).toEqual({ 'default-src': ["'none'"], 'script-src': ["'self'"] });
    for (const path of ['/assets/factor.worker-CnrmvTEt.js', 'assets/svd.worker-x_Y-1.js?v=2', '/assets/csp-probe.worker-test.js']) {
      expect(isWorkerScript(path), path).toBe(true);
    }
    for (const path of ['/', '/index.html', '/assets/index-B6HlDKv-.js', '/assets/worker.js', '/assets/svd.worker-x.js.map']) {
      expect(isWorkerScript(path), path).toBe(false);
      expect(securityHeaders(path)).toEqual(documentHeaders);
    }
  });

  it('allows no inline script and no eval in either policy', () => {
    for (const policy of [DOCUMENT_POLICY, WORKER_POLICY]) {
      const scripts = policy['script-src'] ?? policy['default-src'];
      expect(scripts).not.toContain("'unsafe-inline'");
      expect(scripts).not.toContain("'unsafe-eval'");
    }
  });

  it('names no other origin anywhere: every source is a keyword, self, data: or blob:, and only wasm may be compiled', () => {
    for (const policy of [DOCUMENT_POLICY, WORKER_POLICY]) {
      for (const [name, sources] of Object.entries(policy)) {
        for (const src of sources) expect(["'self'", "'none'", "'unsafe-inline'", "'wasm-unsafe-eval'", 'data:', 'blob:'], `${name} ${src}`).toContain(src);
        // Inline code and data:/blob: scripts would let injected text run: styles may be inline, scripts may not.
        if (name === 'script-src' || name === 'default-src') expect(sources.filter((src) => !["'self'", "'none'", "'wasm-unsafe-eval'"].includes(src)), name).toEqual([]);
      }
    }
    expect(DOCUMENT_POLICY['script-src']).toContain("'wasm-unsafe-eval'");
    expect(WORKER_POLICY['script-src']).not.toContain("'wasm-unsafe-eval'");
  });

  it('sends nosniff, no referrer and DENY framing with both policies', () => {
    for (const headers of [documentHeaders, workerHeaders]) {
      expect(headers).toMatchObject({ 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'X-Frame-Options': 'DENY' });
    }
  });

  it('puts the document policy in the meta fallback, less frame-ancestors', () => {
    const { 'frame-ancestors': _, ...rest } = DOCUMENT_POLICY;
    expect(metaPolicy()).toBe(serializePolicy(rest));
  });

  it('writes a _headers file with the document headers on /* and the worker policy on each worker', () => {
    const rules = parseHeadersFile(headersFile(['/assets/b.worker-2.js', '/assets/a.worker-1.js']));
    expect(Object.keys(rules)).toEqual(['/*', '/assets/a.worker-1.js', '/assets/b.worker-2.js']);
    expect(rules['/*']).toEqual(documentHeaders);
    expect(rules['/assets/a.worker-1.js']).toEqual({ 'Content-Security-Policy': workerHeaders['Content-Security-Policy'] });
  });

  it('shows the same policies in the nginx snippet of README.md', () => {
    const readme = readFileSync(resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    for (const policy of [DOCUMENT_POLICY, WORKER_POLICY]) expect(readme).toContain(`add_header Content-Security-Policy "${serializePolicy(policy)}" always;`);
  });

  it('puts the meta fallback into the built index.html, and loads no script from elsewhere there', () => {
    const file = join(DIST, 'index.html');
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx vite build\` first (npm test does)`);
    const html = readFileSync(file, 'utf8');
    const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/g)].map((m) => m[1]);
    expect(metas).toEqual([metaPolicy()]);
    // Every <script> of the page is a same-origin file: no inline code (the policy would refuse it anyway) and no other host.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(body.trim(), attrs).toBe('');
      expect(attrs, attrs).toMatch(/\ssrc="(?![a-z][a-z0-9+.-]*:|\/\/)[^"]+"/i); // a path on this origin: no scheme, no //host
    }
  });

  it('has the same headers in the built dist/_headers, with a rule for every worker script', () => {
    const file = join(DIST, '_headers');
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npx vite build\` first (npm test does)`);
    const rules = parseHeadersFile(readFileSync(file, 'utf8'));
    expect(rules['/*']).toEqual(documentHeaders);
    const workers = readdirSync(join(DIST, 'assets')).filter(isWorkerScript).map((f) => `/assets/${f}`);
    expect(workers.length).toBeGreaterThanOrEqual(2); // the SVD and the factor-job workers
    expect(Object.keys(rules).sort()).toEqual(['/*', ...workers].sort());
    for (const path of workers) expect(rules[path], path).toEqual({ 'Content-Security-Policy': securityHeaders(path)['Content-Security-Policy'] });
  });
});
