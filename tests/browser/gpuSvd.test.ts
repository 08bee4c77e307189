import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDevHarness, type DevHarness } from '../../src/cli/chromium';
import type { GpuCaseResult } from './gpu/harness';

/**
 * The WGSL block Jacobi SVD on WebGPU in real Chromium (SwiftShader here), on
 * the same case table as the float64 CPU tests, against the float32 bounds
 * of the lab: reconstruction <= 5e-4, orthogonality <= 2e-3, singular values
 * within 5e-4 * sigma_1 of the float64 reference.
 */

let h: DevHarness;
let page: Page;
let results: GpuCaseResult[];

beforeAll(async () => {
  h = await startDevHarness();
  page = await h.open('/tests/browser/gpu/index.html');
  results = await page.evaluate(() => (window as unknown as { runCases(): Promise<GpuCaseResult[]> }).runCases());
  console.table(results.map((r) => ({ ...r, reconstruction: r.reconstruction.toExponential(1), uDefect: r.uDefect.toExponential(1), vDefect: r.vDefect.toExponential(1), singularValueError: r.singularValueError.toExponential(1), ms: r.ms.toFixed(0) })));
});

afterAll(async () => {
  await h?.close();
});

describe('WebGPU block Jacobi SVD', () => {
  it('ran every case of the shared table', async () => {
    const names = await page.evaluate(() => (window as unknown as { caseNames(): string[] }).caseNames());
    expect(results.map((r) => r.name)).toEqual(names);
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  it.each([
    'reconstruction', 'uDefect', 'vDefect', 'singularValueError',
  ] as const)('meets the float32 bound on %s for every case', (metric) => {
    const bound = { reconstruction: 5e-4, uDefect: 2e-3, vDefect: 2e-3, singularValueError: 5e-4 }[metric];
    const over = results.filter((r) => !(r[metric] <= bound)).map((r) => `${r.name}: ${r[metric]}`);
    expect(over).toEqual([]);
  });

  it('converges, sorts descending and fixes signs', () => {
    for (const r of results) {
      expect(r.converged, r.name).toBe(true);
      expect(r.descending, r.name).toBe(true);
      expect(r.signsFixed, r.name).toBe(true);
    }
  });

  it('rejects NaN and Infinity with the typed error', async () => {
    const messages = await page.evaluate(() => (window as unknown as { rejectsNonFinite(): Promise<string[]> }).rejectsNonFinite());
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^NonFiniteMatrixError: Matrix entry \[1, 3\] is NaN/);
    expect(messages[1]).toMatch(/^NonFiniteMatrixError: Matrix entry \[1, 3\] is Infinity/);
  });
});

describe('WebGPU randomized top-k SVD', () => {
  let topk: Array<{ name: string; accurate: boolean; singularValueError: number; twinError: number; uDefect: number; vDefect: number; residual: number; optimalResidual: number; ms: number }>;

  beforeAll(async () => {
    topk = await page.evaluate(() => (window as unknown as { runTopK(): Promise<typeof topk> }).runTopK());
    console.table(topk.map((r) => Object.fromEntries(Object.entries(r).map(([key, v]) => [key, typeof v === 'number' ? v.toExponential(1) : v]))));
  });

  it('agrees with its float64 CPU twin, finds the exact top k where the spectrum allows, with orthonormal factors', () => {
    expect(topk).toHaveLength(6);
    for (const r of topk) {
      if (r.accurate) expect(r.singularValueError, r.name).toBeLessThanOrEqual(5e-4);
      expect(r.twinError, r.name).toBeLessThanOrEqual(5e-4);
      expect(r.uDefect, r.name).toBeLessThanOrEqual(2e-3);
      expect(r.vDefect, r.name).toBeLessThanOrEqual(2e-3);
    }
  });

  it('leaves a residual close to the best rank-k approximation', () => {
    for (const r of topk) expect(r.residual, r.name).toBeLessThanOrEqual(1.05 * r.optimalResidual + 5e-4);
  });

  it('gives the same answer when A is tiled into row blocks', () => {
    const [whole, tiled] = topk;
    expect(Math.abs(whole.singularValueError - tiled.singularValueError)).toBeLessThanOrEqual(1e-4);
    expect(tiled.residual).toBeLessThanOrEqual(1.05 * tiled.optimalResidual + 5e-4);
  });
});
