import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { gpuSvdJacobi } from '../../../src/gpu/blockJacobi';
import { gpuRandomizedSvd } from '../../../src/gpu/randomizedSvd';
import { randomizedSvd } from '../../../src/core/randomizedSvd';
import { NonFiniteMatrixError } from '../../../src/core/svd';
import { SVD_CASES } from '../../core/svdCases';
import { frobeniusDistance, matrixWithSpectrum, multiplySvd, orthonormalityDefect } from '../../core/reference';

/**
 * Runs the shared SVD case table through the WGSL block Jacobi on the
 * GPUDevice of TF.js's WebGPU backend, inside real Chromium, and hands plain
 * numbers back to the Node test (tests/browser/gpuSvd.test.ts), which holds
 * the bounds. The expected values come from the same float64 reference the
 * CPU tests use.
 */

export interface GpuCaseResult {
  name: string;
  reconstruction: number;
  uDefect: number;
  vDefect: number;
  /** max_i |s_i - expected_i| / max(expected_0, tiny). */
  singularValueError: number;
  descending: boolean;
  signsFixed: boolean;
  sweeps: number;
  converged: boolean;
  ms: number;
}

async function device(): Promise<GPUDevice> {
  if (tf.getBackend() !== 'webgpu') {
    if (!(await tf.setBackend('webgpu'))) throw new Error('WebGPU backend did not start');
  }
  return (tf.backend() as WebGPUBackend).device;
}

function largestEntryPositive(x: Float64Array, rows: number, cols: number, c: number): boolean {
  let best = 0;
  for (let i = 1; i < rows; i++) if (Math.abs(x[i * cols + c]) > Math.abs(x[best * cols + c])) best = i;
  return x[best * cols + c] >= 0;
}

async function runCases(names?: string[]): Promise<GpuCaseResult[]> {
  const dev = await device();
  const out: GpuCaseResult[] = [];
  for (const c of SVD_CASES.filter((x) => !names || names.includes(x.name))) {
    const { data, expected } = c.build();
    const t0 = performance.now();
    const svd = await gpuSvdJacobi(dev, data, [c.m, c.n]);
    const ms = performance.now() - t0;
    const r = svd.r;
    const norm = frobeniusDistance(data);
    const err = frobeniusDistance(multiplySvd(svd.u, svd.s, svd.v, c.m, c.n, r), data);
    let svErr = 0;
    for (let i = 0; i < r; i++) svErr = Math.max(svErr, Math.abs(svd.s[i] - expected[i]));
    let descending = true;
    for (let i = 1; i < r; i++) if (svd.s[i] > svd.s[i - 1]) descending = false;
    let signsFixed = true;
    for (let i = 0; i < r; i++) if (!largestEntryPositive(svd.u, c.m, r, i)) signsFixed = false;
    out.push({
      name: c.name,
      reconstruction: norm === 0 ? err : err / norm,
      uDefect: orthonormalityDefect(svd.u, c.m, r),
      vDefect: orthonormalityDefect(svd.v, c.n, r),
      singularValueError: expected[0] > 0 ? svErr / expected[0] : svErr,
      descending,
      signsFixed,
      sweeps: svd.sweeps,
      converged: svd.converged,
      ms,
    });
  }
  return out;
}

async function rejectsNonFinite(): Promise<string[]> {
  const dev = await device();
  const messages: string[] = [];
  for (const bad of [NaN, Infinity]) {
    const data = new Float32Array(12).fill(1);
    data[7] = bad;
    try {
      await gpuSvdJacobi(dev, data, [3, 4]);
      messages.push('no error');
    } catch (err) {
      messages.push(err instanceof NonFiniteMatrixError ? `NonFiniteMatrixError: ${err.message}` : String(err));
    }
  }
  return messages;
}

/** A top-k case: a matrix with a known spectrum, k, and an optional binding cap that forces row tiling. */
interface TopKCase {
  name: string;
  m: number;
  n: number;
  k: number;
  spectrum: number[];
  maxBindingBytes?: number;
  /** The spectrum decays fast enough (or l reaches min(m, n)) that the top k must match the exact values. */
  accurate: boolean;
}

export interface TopKResult {
  name: string;
  accurate: boolean;
  /** max_i |s_i - exact_i| / s_1 over the top k. */
  singularValueError: number;
  /** Same against the CPU twin run with the same seed. */
  twinError: number;
  uDefect: number;
  vDefect: number;
  /** ||A - U S V^T||_F / ||A||_F, and the optimal rank-k value for comparison. */
  residual: number;
  optimalResidual: number;
  ms: number;
}

const geometric = (r: number, cond: number) => Array.from({ length: r }, (_, i) => cond ** (-i / Math.max(1, r - 1)));

const TOPK_CASES: TopKCase[] = [
  { name: 'tall 300x200, top-10, slow decay to 1e-4', m: 300, n: 200, k: 10, spectrum: geometric(200, 1e4), accurate: false },
  { name: 'same, A tiled in 64-row blocks', m: 300, n: 200, k: 10, spectrum: geometric(200, 1e4), maxBindingBytes: 64 * 200 * 4, accurate: false },
  { name: 'tall 400x300, top-16, fast decay to 1e-12', m: 400, n: 300, k: 16, spectrum: geometric(300, 1e12), accurate: true },
  { name: 'wide 120x400, top-8, fast decay', m: 120, n: 400, k: 8, spectrum: geometric(120, 1e12), accurate: true },
  { name: 'exact when k + 10 covers min(m, n): 60x40, top-35', m: 60, n: 40, k: 35, spectrum: geometric(40, 1e2), accurate: true },
  { name: 'rank 5 of 200x100, top-8', m: 200, n: 100, k: 8, spectrum: [5, 4, 3, 2, 1], accurate: true },
];

async function runTopK(): Promise<TopKResult[]> {
  const dev = await device();
  const out: TopKResult[] = [];
  for (const c of TOPK_CASES) {
    const a = matrixWithSpectrum(c.m, c.n, c.spectrum, 7);
    const exact = Array.from({ length: Math.min(c.m, c.n) }, (_, i) => c.spectrum[i] ?? 0);
    const t0 = performance.now();
    const svd = await gpuRandomizedSvd(dev, a, [c.m, c.n], c.k, { maxBindingBytes: c.maxBindingBytes });
    const ms = performance.now() - t0;
    const twin = randomizedSvd(a, [c.m, c.n], c.k);
    let svErr = 0;
    let twinErr = 0;
    for (let i = 0; i < c.k; i++) {
      svErr = Math.max(svErr, Math.abs(svd.s[i] - exact[i]));
      twinErr = Math.max(twinErr, Math.abs(svd.s[i] - twin.s[i]));
    }
    const norm = frobeniusDistance(a);
    const tail = Math.sqrt(exact.slice(c.k).reduce((t, x) => t + x * x, 0));
    out.push({
      name: c.name,
      accurate: c.accurate,
      singularValueError: svErr / exact[0],
      twinError: twinErr / exact[0],
      uDefect: orthonormalityDefect(svd.u, c.m, c.k),
      vDefect: orthonormalityDefect(svd.v, c.n, c.k),
      residual: frobeniusDistance(multiplySvd(svd.u, svd.s, svd.v, c.m, c.n, c.k), a) / norm,
      optimalResidual: tail / norm,
      ms,
    });
  }
  return out;
}

Object.assign(window, { runCases, runTopK, rejectsNonFinite, caseNames: () => SVD_CASES.map((c) => c.name) });
document.getElementById('status')!.textContent = 'ready';
