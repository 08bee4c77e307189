import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { gpuSvdJacobi } from '../../../src/gpu/blockJacobi';
import { gpuRandomizedSvd } from '../../../src/gpu/randomizedSvd';
import { liveGpuBuffers } from '../../../src/gpu/buffers';
import { randomizedSvd, singularValueBound } from '../../../src/core/randomizedSvd';
import { NonFiniteMatrixError, svdJacobi } from '../../../src/core/svd';
import { thinMatrixWithSpectrum } from '../../../src/cli/thinSpectrum';
import { SVD_CASES } from '../../core/svdCases';
import { frobeniusDistance, matrixWithSpectrum, multiplySvd, orthonormalityDefect } from '../../core/reference';
import { runMatmulCases } from './matmulCases';

/**
 * Runs the shared SVD case table through the WGSL block Jacobi, and the
 * top-k cases through the WebGPU randomized SVD, on the GPUDevice of TF.js's
 * WebGPU backend inside real Chromium, and hands plain measured numbers back
 * to the Node test (tests/browser/gpuSvd.test.ts), which holds the bounds.
 * Expected values come from float64 references: the spectra built into the
 * matrices, tests/core/reference.ts, or the CPU svdJacobi for the trained
 * kernels. After every case the harness records liveGpuBuffers(), which
 * must be back at 0.
 */

export interface GpuCaseResult {
  name: string;
  reconstruction: number;
  uDefect: number;
  vDefect: number;
  /** max_i |s_i - expected_i| / max(expected_0, tiny). */
  singularValueError: number;
  /** (||A - A_k||_F - optimal) / ||A||_F at k = ceil(r / 2): what a rank cut loses to the SVD's error. */
  rankKExcess: number;
  descending: boolean;
  signsFixed: boolean;
  sweeps: number;
  /** Sweeps of the float64 CPU svdJacobi on the same matrix. */
  cpuSweeps: number;
  converged: boolean;
  liveBuffers: number;
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

/** sqrt(sum_{i >= k} values_i^2), scaled by values_0 first so that 1e+-250 neither overflows nor underflows. */
function tailNorm(values: ArrayLike<number>, k: number): number {
  const top = values[0] || 1;
  let sum = 0;
  for (let i = k; i < values.length; i++) sum += (values[i] / top) ** 2;
  return top * Math.sqrt(sum);
}

async function runCases(names?: string[], precondition = true): Promise<GpuCaseResult[]> {
  const dev = await device();
  const out: GpuCaseResult[] = [];
  for (const c of SVD_CASES.filter((x) => !names || names.includes(x.name))) {
    const { data, expected } = c.build();
    const t0 = performance.now();
    const svd = await gpuSvdJacobi(dev, data, [c.m, c.n], { precondition });
    const ms = performance.now() - t0;
    const r = svd.r;
    const norm = frobeniusDistance(data);
    const err = frobeniusDistance(multiplySvd(svd.u, svd.s, svd.v, c.m, c.n, r), data);
    const half = Math.ceil(r / 2);
    const rankKErr = frobeniusDistance(multiplySvd(svd.u, svd.s, svd.v, c.m, c.n, r, half), data);
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
      rankKExcess: norm === 0 ? rankKErr : (rankKErr - tailNorm(expected, half)) / norm,
      descending,
      signsFixed,
      sweeps: svd.sweeps,
      cpuSweeps: svdJacobi(data, [c.m, c.n]).sweeps,
      converged: svd.converged,
      liveBuffers: liveGpuBuffers(),
      ms,
    });
  }
  return out;
}

async function rejectsNonFinite(): Promise<Array<{ message: string; liveBuffers: number }>> {
  const dev = await device();
  const out: Array<{ message: string; liveBuffers: number }> = [];
  for (const [bad, run] of [
    [NaN, (d: Float32Array) => gpuSvdJacobi(dev, d, [3, 4])],
    [Infinity, (d: Float32Array) => gpuSvdJacobi(dev, d, [3, 4])],
    [NaN, (d: Float32Array) => gpuRandomizedSvd(dev, d, [3, 4], 1)],
  ] as const) {
    const data = new Float32Array(12).fill(1);
    data[7] = bad;
    let message = 'no error';
    try {
      await run(data);
    } catch (err) {
      message = err instanceof NonFiniteMatrixError ? `NonFiniteMatrixError: ${err.message}` : String(err);
    }
    out.push({ message, liveBuffers: liveGpuBuffers() });
  }
  return out;
}

/**
 * A signal that reads as aborted from its `after`-th check on: a cancel in
 * the middle of a run, at a point fixed by the code's own checks rather
 * than by a timer racing it.
 */
function abortAfterChecks(after: number): AbortSignal {
  let checks = 0;
  return {
    get aborted() { return checks >= after; },
    throwIfAborted() {
      checks += 1;
      if (checks >= after) throw new DOMException('The SVD was cancelled.', 'AbortError');
    },
  } as unknown as AbortSignal;
}

/** Cancels each GPU SVD part-way (and once with a shape error) and reports the error and the buffers left alive. */
async function runAborts(): Promise<Array<{ name: string; error: string; liveBuffers: number }>> {
  const dev = await device();
  const a = matrixWithSpectrum(120, 80, Array.from({ length: 80 }, (_, i) => 1 / (i + 1)), 21);
  const runs: Array<[string, () => Promise<unknown>]> = [
    ['block Jacobi cancelled after its first submission', () => gpuSvdJacobi(dev, a, [120, 80], { signal: abortAfterChecks(2), firstBatch: 1 })],
    ['top-k cancelled in its third product', () => gpuRandomizedSvd(dev, a, [120, 80], 8, { signal: abortAfterChecks(3) })],
    ['top-k cancelled at its 28th check (inside the small SVD with 8 power iterations)', () => gpuRandomizedSvd(dev, a, [120, 80], 8, { signal: abortAfterChecks(28) })],
    ['block Jacobi with a wrong length', () => gpuSvdJacobi(dev, a, [120, 81])],
    ['top-k with a rank above min(m, n)', () => gpuRandomizedSvd(dev, a, [120, 80], 81)],
  ];
  const out: Array<{ name: string; error: string; liveBuffers: number }> = [];
  for (const [name, run] of runs) {
    let error = 'no error';
    try {
      await run();
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    out.push({ name, error, liveBuffers: liveGpuBuffers() });
  }
  return out;
}

/** A top-k case: a matrix and its exact spectrum (built in, or from the float64 CPU SVD), k, and an optional binding cap that forces row tiling. */
interface TopKCase {
  name: string;
  m: number;
  n: number;
  k: number;
  build: () => Promise<{ a: Float64Array | Float32Array; exact: Float64Array }>;
  maxBindingBytes?: number;
  /** Name of an earlier case on the same matrix whose U, S, V this one must reproduce element-wise. */
  sameAs?: string;
}

export interface TopKResult {
  name: string;
  /** max_i |s_i - exact_i| / s_1 over the top k. */
  singularValueError: number;
  /** max_i |s_i - exact_i| / exact_i over the top k (exact_i > 1e-6 s_1): the quantity TOP_K_SINGULAR_VALUE_TOLERANCE is about. */
  relativeError: number;
  /** The result's own a-posteriori bound, singularValueBound(s, residuals). */
  bound: number;
  /** max_i |s_i - twin_i| / s_1 against the CPU twin run with the same seed. */
  twinError: number;
  /** The float64 twin's own max_i |twin_i - exact_i| / s_1: the algorithm's error, which float32 should barely add to. */
  twinExactError: number;
  uDefect: number;
  vDefect: number;
  /** ||A - U S V^T||_F / ||A||_F, and the optimal rank-k value for comparison. */
  residual: number;
  optimalResidual: number;
  /** residual - optimalResidual. */
  residualExcess: number;
  /** The float64 twin's own residual - optimalResidual. */
  twinResidualExcess: number;
  /** For a sameAs case: largest element-wise difference of U, V (columns matched in sign) and of S / s_1; else -1. */
  sameAsDifference: number;
  converged: boolean;
  liveBuffers: number;
  ms: number;
}

const geometric = (r: number, cond: number) => Array.from({ length: r }, (_, i) => cond ** (-i / Math.max(1, r - 1)));
const harmonic = (r: number) => Array.from({ length: r }, (_, i) => 1 / (i + 1));

const known = (m: number, n: number, spectrum: number[], thin = false) => async () => ({
  a: thin ? thinMatrixWithSpectrum(m, n, spectrum, 7) : matrixWithSpectrum(m, n, spectrum, 7),
  exact: Float64Array.from({ length: Math.min(m, n) }, (_, i) => spectrum[i] ?? 0),
});

/** A kernel of the bundled mlp-512 model read as float32 from its shard in the manifest's order; exact values from the float64 CPU SVD. */
const trainedKernel = (layer: string) => async () => {
  const manifest = await (await fetch('/models/mlp-512/model.json')).json() as { weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[] }> }> };
  const group = manifest.weightsManifest[0];
  const bytes = await (await fetch(`/models/mlp-512/${group.paths[0]}`)).arrayBuffer();
  let offset = 0;
  for (const w of group.weights) {
    const size = w.shape.reduce((x, y) => x * y, 1);
    if (w.name === `${layer}/kernel`) {
      const a = new Float32Array(bytes, offset * 4, size).slice();
      return { a, exact: svdJacobi(a, [w.shape[0], w.shape[1]]).s };
    }
    offset += size;
  }
  throw new Error(`mlp-512 has no ${layer}/kernel`);
};

const TOPK_CASES: TopKCase[] = [
  { name: 'tall 300x200, top-10, slow decay to 1e-4', m: 300, n: 200, k: 10, build: known(300, 200, geometric(200, 1e4)) },
  { name: 'same, A tiled in 64-row blocks', m: 300, n: 200, k: 10, build: known(300, 200, geometric(200, 1e4)), maxBindingBytes: 64 * 200 * 4, sameAs: 'tall 300x200, top-10, slow decay to 1e-4' },
  { name: 'wide 120x400, top-8, fast decay', m: 120, n: 400, k: 8, build: known(120, 400, geometric(120, 1e12)) },
  { name: 'exact when l covers min(m, n): 60x40, top-35', m: 60, n: 40, k: 35, build: known(60, 40, geometric(40, 1e2)) },
  { name: 'rank 5 of 200x100, top-8', m: 200, n: 100, k: 8, build: known(200, 100, [5, 4, 3, 2, 1]) },
  { name: 'tall 2000x500, top-32, s_i = 1/i', m: 2000, n: 500, k: 32, build: known(2000, 500, harmonic(500), true) },
  { name: 'mlp-512 fc1 784x512, top-32', m: 784, n: 512, k: 32, build: trainedKernel('fc1') },
  { name: 'mlp-512 fc2 512x256, top-32', m: 512, n: 256, k: 32, build: trainedKernel('fc2') },
];

/** Largest element-wise difference between two row-major rows x k factors, each column of `b` flipped to match `a`'s sign. */
function maxDifferenceUpToSign(a: Float64Array, b: Float64Array, rows: number, k: number): number {
  let worst = 0;
  for (let c = 0; c < k; c++) {
    let dot = 0;
    for (let i = 0; i < rows; i++) dot += a[i * k + c] * b[i * k + c];
    const sign = dot < 0 ? -1 : 1;
    for (let i = 0; i < rows; i++) worst = Math.max(worst, Math.abs(a[i * k + c] - sign * b[i * k + c]));
  }
  return worst;
}

async function runTopK(): Promise<TopKResult[]> {
  const dev = await device();
  const out: TopKResult[] = [];
  const done = new Map<string, Awaited<ReturnType<typeof gpuRandomizedSvd>>>();
  for (const c of TOPK_CASES) {
    const { a, exact } = await c.build();
    const t0 = performance.now();
    const svd = await gpuRandomizedSvd(dev, a, [c.m, c.n], c.k, { maxBindingBytes: c.maxBindingBytes });
    const ms = performance.now() - t0;
    const liveBuffers = liveGpuBuffers();
    done.set(c.name, svd);
    const twin = randomizedSvd(a, [c.m, c.n], c.k);
    let svErr = 0;
    let relErr = 0;
    let twinErr = 0;
    let twinExactErr = 0;
    for (let i = 0; i < c.k; i++) {
      twinExactErr = Math.max(twinExactErr, Math.abs(twin.s[i] - exact[i]));
      svErr = Math.max(svErr, Math.abs(svd.s[i] - exact[i]));
      if (exact[i] > 1e-6 * exact[0]) relErr = Math.max(relErr, Math.abs(svd.s[i] - exact[i]) / exact[i]);
      twinErr = Math.max(twinErr, Math.abs(svd.s[i] - twin.s[i]));
    }
    let sameAsDifference = -1;
    const other = c.sameAs ? done.get(c.sameAs) : undefined;
    if (other) {
      sameAsDifference = Math.max(maxDifferenceUpToSign(other.u, svd.u, c.m, c.k), maxDifferenceUpToSign(other.v, svd.v, c.n, c.k));
      for (let i = 0; i < c.k; i++) sameAsDifference = Math.max(sameAsDifference, Math.abs(other.s[i] - svd.s[i]) / exact[0]);
    }
    const norm = frobeniusDistance(a);
    const residual = frobeniusDistance(multiplySvd(svd.u, svd.s, svd.v, c.m, c.n, c.k), a) / norm;
    const optimalResidual = tailNorm(exact, c.k) / norm;
    out.push({
      name: c.name,
      singularValueError: svErr / exact[0],
      relativeError: relErr,
      bound: singularValueBound(svd.s, svd.residuals),
      twinError: twinErr / exact[0],
      twinExactError: twinExactErr / exact[0],
      uDefect: orthonormalityDefect(svd.u, c.m, c.k),
      vDefect: orthonormalityDefect(svd.v, c.n, c.k),
      residual,
      optimalResidual,
      residualExcess: residual - optimalResidual,
      twinResidualExcess: frobeniusDistance(multiplySvd(twin.u, twin.s, twin.v, c.m, c.n, c.k), a) / norm - optimalResidual,
      sameAsDifference,
      converged: svd.converged,
      liveBuffers,
      ms,
    });
  }
  return out;
}

Object.assign(window, {
  runCases,
  runTopK,
  runAborts,
  runMatmul: async () => runMatmulCases(await device()),
  rejectsNonFinite,
  caseNames: () => SVD_CASES.map((c) => c.name),
  topKNames: () => TOPK_CASES.map((c) => c.name),
});
document.getElementById('status')!.textContent = 'ready';
