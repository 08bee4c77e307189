import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startDevHarness, type DevHarness } from '../../src/cli/chromium';
import { TOP_K_SINGULAR_VALUE_TOLERANCE } from '../../src/core/randomizedSvd';
import { GRADED_CASE_NAMES } from '../core/svdCases';
import type { GpuCaseResult, TopKResult } from './gpu/harness';
import type { MatmulCaseResult } from './gpu/matmulCases';

/**
 * The WebGPU SVDs in real Chromium (SwiftShader here) against float64
 * references: the WGSL product program alone, the block Jacobi SVD on the
 * shared case table (plus graded matrices), the randomized top-k at real
 * sizes and on the bundled trained kernels, and every GPU buffer destroyed
 * after every case, error and cancellation. Bounds sit 3 to 10 times above
 * the errors measured on SwiftShader (values in the comments), so a
 * regression of more than that fails.
 */

let h: DevHarness;
let page: Page;
type Win = Record<string, (...args: unknown[]) => Promise<unknown>>;
const call = <T>(name: string, ...args: unknown[]) =>
  page.evaluate(([fn, rest]) => (window as unknown as Win)[fn as string](...(rest as unknown[])), [name, args] as const) as Promise<T>;
const show = (rows: object[]) =>
  console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? v.toExponential(1) : v]))));

beforeAll(async () => {
  h = await startDevHarness();
  page = await h.open('/tests/browser/gpu/index.html');
});

afterAll(async () => {
  await h?.close();
});

describe('WebGPU product program', () => {
  it('matches the float64 product for odd sizes, with A transposed or not, accumulating or not, and frees its buffers', async () => {
    const rows = await call<MatmulCaseResult[]>('runMatmul');
    show(rows);
    expect(rows).toHaveLength(7);
    for (const r of rows) {
      // Measured on SwiftShader: <= 1.2e-7 (float32 accumulation over K <= 515).
      expect(r.relativeError, r.name).toBeLessThanOrEqual(1e-6);
      expect(r.liveBuffers, r.name).toBe(0);
    }
  });
});

describe('WebGPU block Jacobi SVD', () => {
  let results: GpuCaseResult[];

  beforeAll(async () => {
    results = await call<GpuCaseResult[]>('runCases');
    show(results);
  });

  it('ran every case of the shared table', async () => {
    const names = await page.evaluate(() => (window as unknown as { caseNames(): string[] }).caseNames());
    expect(results.map((r) => r.name)).toEqual(names);
    expect(names.length).toBeGreaterThanOrEqual(18);
  });

  // Bound and, in the comment, the largest value measured over all cases on SwiftShader.
  it.each([
    ['reconstruction', 3e-6], // 6.5e-7
    ['uDefect', 2e-5], // 4.3e-6
    ['vDefect', 3e-5], // 7.0e-6
    ['singularValueError', 2e-6], // 3.7e-7
    ['rankKExcess', 1e-6], // 1.9e-7
  ] as const)('meets the float32 bound on %s for every case (bound %s)', (metric, bound) => {
    const over = results.filter((r) => !(Math.abs(r[metric]) <= bound)).map((r) => `${r.name}: ${r[metric]}`);
    expect(over).toEqual([]);
  });

  it('converges, sorts descending, fixes signs and destroys every buffer', () => {
    for (const r of results) {
      expect(r.converged, r.name).toBe(true);
      expect(r.descending, r.name).toBe(true);
      expect(r.signsFixed, r.name).toBe(true);
      expect(r.liveBuffers, r.name).toBe(0);
    }
  });

  it('converges on graded matrices in about as many sweeps as the float64 CPU path, thanks to the QR step', async () => {
    const graded = results.filter((r) => GRADED_CASE_NAMES.includes(r.name));
    expect(graded).toHaveLength(2);
    for (const r of graded) expect(r.sweeps, r.name).toBeLessThanOrEqual(r.cpuSweeps + 2);
    const unpreconditioned = await call<GpuCaseResult[]>('runCases', GRADED_CASE_NAMES, false);
    show(unpreconditioned.map(({ name, sweeps, rankKExcess, singularValueError }) => ({ name, sweeps, rankKExcess, singularValueError })));
    unpreconditioned.forEach((r, i) => expect(r.sweeps, r.name).toBeGreaterThan(2 * graded[i].sweeps));
  });

  it('rejects NaN and Infinity with the typed error and leaves no buffer behind', async () => {
    const rows = await call<Array<{ message: string; liveBuffers: number }>>('rejectsNonFinite');
    expect(rows).toHaveLength(3);
    expect(rows[0].message).toMatch(/^NonFiniteMatrixError: Matrix entry \[1, 3\] is NaN/);
    expect(rows[1].message).toMatch(/^NonFiniteMatrixError: Matrix entry \[1, 3\] is Infinity/);
    expect(rows[2].message).toMatch(/^NonFiniteMatrixError: Matrix entry \[1, 3\] is NaN/);
    for (const r of rows) expect(r.liveBuffers).toBe(0);
  });
});

describe('WebGPU randomized top-k SVD', () => {
  let topk: TopKResult[];

  beforeAll(async () => {
    topk = await call<TopKResult[]>('runTopK');
    show(topk);
  });

  it('ran every top-k case, including 2000x500 and the trained mlp-512 kernels', async () => {
    const names = await call<string[]>('topKNames');
    expect(topk.map((r) => r.name)).toEqual(names);
    expect(names.some((n) => n.includes('2000x500'))).toBe(true);
    expect(names.some((n) => n.includes('fc1'))).toBe(true);
  });

  it(`finds s_1..s_k within ${TOP_K_SINGULAR_VALUE_TOLERANCE * 100}% of float64 on every case, inside its own a-posteriori bound`, () => {
    for (const r of topk) {
      expect(r.relativeError, r.name).toBeLessThanOrEqual(TOP_K_SINGULAR_VALUE_TOLERANCE);
      expect(r.relativeError, r.name).toBeLessThanOrEqual(r.bound);
    }
  });

  // Bound and, in the comment, the largest value measured over all cases on SwiftShader.
  it.each([
    ['twinError', 2e-6], // 2.7e-7
    ['uDefect', 2e-5], // 3.4e-6
    ['vDefect', 5e-6], // 8.0e-7
  ] as const)('meets the float32 bound on %s for every case (bound %s)', (metric, bound) => {
    const over = topk.filter((r) => !(Math.abs(r[metric]) <= bound)).map((r) => `${r.name}: ${r[metric]}`);
    expect(over).toEqual([]);
  });

  it('adds no more than float32 rounding to the float64 algorithm\'s own errors (singular values, residual), converges and frees every buffer', () => {
    for (const r of topk) {
      // Measured: singularValueError - twinExactError <= 2.7e-7 (the float64 twin is up to 9.8e-4 s_1 off on fc1 by itself),
      // residualExcess - twinResidualExcess <= 2.8e-7 (rank 5 case: float32 rounding of an exact fit).
      expect(r.singularValueError, r.name).toBeLessThanOrEqual(r.twinExactError + 2e-6);
      expect(r.residualExcess, r.name).toBeLessThanOrEqual(r.twinResidualExcess + 2e-6);
      expect(r.converged, r.name).toBe(true);
      expect(r.liveBuffers, r.name).toBe(0);
    }
  });

  it('gives the same U, S and V, element by element, when A is tiled into row blocks', () => {
    const tiled = topk.filter((r) => r.sameAsDifference >= 0);
    expect(tiled).toHaveLength(1);
    expect(tiled[0].sameAsDifference).toBeLessThanOrEqual(3e-6); // measured 4.3e-7
  });

  it('destroys every buffer when cancelled part-way or given bad input', async () => {
    const rows = await call<Array<{ name: string; error: string; liveBuffers: number }>>('runAborts');
    show(rows);
    expect(rows).toHaveLength(5);
    for (const r of rows.slice(0, 3)) expect(r.error, r.name).toMatch(/^AbortError/);
    for (const r of rows.slice(3)) expect(r.error, r.name).toMatch(/^(RangeError|RankOutOfRangeError)/);
    for (const r of rows) expect(r.liveBuffers, r.name).toBe(0);
  });
});
