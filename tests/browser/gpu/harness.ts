import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { gpuSvdJacobi } from '../../../src/gpu/blockJacobi';
import { NonFiniteMatrixError } from '../../../src/core/svd';
import { SVD_CASES } from '../../core/svdCases';
import { frobeniusDistance, multiplySvd, orthonormalityDefect } from '../../core/reference';

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

Object.assign(window, { runCases, rejectsNonFinite, caseNames: () => SVD_CASES.map((c) => c.name) });
document.getElementById('status')!.textContent = 'ready';
