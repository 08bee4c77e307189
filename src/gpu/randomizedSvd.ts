import { NonFiniteMatrixError } from '../core/svd';
import { orthonormalBasis } from '../core/householderQr';
import {
  DEFAULT_RANDOMIZED_SVD_SEED,
  gaussianTestMatrix,
  liftSmallSvd,
  randomizedSvdPlan,
  tripletResiduals,
  type RandomizedSvd,
  type RandomizedSvdOptions,
} from '../core/randomizedSvd';
import { BufferSet } from './buffers';
import { MatmulRecorder } from './matmul';
import { gpuSvdJacobi } from './blockJacobi';

/**
 * Top-k SVD on a WebGPU device for matrices too large for a full one: the
 * GPU twin of core/randomizedSvd.ts, step for step. The products with A run
 * on the GPU in float32: Y = A Omega (l columns), q power iterations
 * Z = A^T Q, Y = A Z, then B = Q^T A and A V for the residuals. After every
 * product the m x l (or n x l) block is read back and orthonormalized on the
 * CPU by the same float64 Householder QR the twin uses (orthonormalBasis),
 * then written back: m l floats per step (2000 x 48: 384 KB), and a QR that
 * stays orthonormal at any size and condition, where the float32 CholeskyQR
 * this replaced shrank even an orthonormal Q once m l^2 neared 2^24 / 11.
 * The small B gets the block Jacobi SVD, U = Q U_B is formed on the CPU in
 * float64. A is uploaded in row blocks that each fit the device's
 * storage-binding limit, and every product sums over the blocks.
 */

/** Options: those of the CPU twin plus a cap on bytes per storage binding (tests force tiling with it). */
export interface GpuRandomizedSvdOptions extends RandomizedSvdOptions {
  maxBindingBytes?: number;
  signal?: AbortSignal;
}

/** Usage of work buffers; a function so that importing this module needs no WebGPU globals (Node tests). */
const storage = (): GPUBufferUsageFlags => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rows of A per uploaded block so that one block of `n` float32 columns fits `limitBytes`. */
export function rowsPerBlock(m: number, n: number, limitBytes: number): number {
  return Math.max(1, Math.min(m, Math.floor(limitBytes / (4 * n))));
}

/** Thrown when a GPU product comes back with NaN or Infinity, which finite, scaled input cannot produce. */
export class GpuNumericalError extends Error {
  constructor(step: string) {
    super(`The GPU top-k SVD produced non-finite numbers at ${step}; the WebGPU device is misbehaving. Reload the lab, or use ?svd=cpu.`);
    this.name = 'GpuNumericalError';
  }
}

/** Top-k SVD of row-major m x n `data` on `device`; same result shape as the CPU randomizedSvd. */
export async function gpuRandomizedSvd(
  device: GPUDevice,
  data: Float32Array | Float64Array,
  shape: readonly [number, number],
  k: number,
  options: GpuRandomizedSvdOptions = {},
): Promise<RandomizedSvd> {
  const [m, n] = shape;
  const plan = randomizedSvdPlan(m, n, k, options);
  if (data.length !== m * n) throw new RangeError(`Shape [${m}, ${n}] needs ${m * n} entries, got ${data.length}.`);
  let maxAbs = 0;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new NonFiniteMatrixError(Math.floor(i / n), i % n, data[i]);
    maxAbs = Math.max(maxAbs, Math.abs(data[i]));
  }
  const scale = maxAbs > 0 ? 2 ** Math.floor(Math.log2(maxAbs)) : 1;
  const { l } = plan;
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, options.maxBindingBytes ?? Infinity);
  if (4 * n * l > limit) throw new RangeError(`A ${n} x ${l} sample does not fit one storage binding (${limit} bytes) on this device.`);
  const blockRows = rowsPerBlock(m, n, limit);

  const buffers = new BufferSet(device);
  try {
    const mm = await MatmulRecorder.create(device, buffers, [{}, { transposeA: true }, { transposeA: true, accumulate: true }]);
    // A and Y in row blocks: block b holds rows [start, start + rows).
    const blocks: Array<{ start: number; rows: number; a: GPUBuffer; y: GPUBuffer }> = [];
    for (let start = 0; start < m; start += blockRows) {
      const rows = Math.min(blockRows, m - start);
      const a = new Float32Array(rows * n);
      for (let i = 0; i < a.length; i++) a[i] = data[start * n + i] / scale;
      blocks.push({
        start,
        rows,
        a: buffers.create(`topk-A${blocks.length}`, a.byteLength, storage(), a),
        y: buffers.create(`topk-Y${blocks.length}`, rows * l * 4, storage()),
      });
    }
    const omega = Float32Array.from(gaussianTestMatrix(n, l, options.seed ?? DEFAULT_RANDOMIZED_SVD_SEED));
    const z = buffers.create('topk-Z', n * l * 4, storage(), omega);

    const submit = (record: (pass: GPUComputePassEncoder) => void): GPUCommandEncoder => {
      options.signal?.throwIfAborted();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      record(pass);
      pass.end();
      return encoder;
    };
    /** Reads `cols` columns of every Y block back as one row-major m x cols float32 matrix. */
    const readY = async (cols: number, first?: GPUCommandEncoder): Promise<Float32Array> => {
      const out = new Float32Array(m * cols);
      for (const [i, b] of blocks.entries()) {
        out.set(new Float32Array(await buffers.read(b.y, b.rows * cols * 4, i === 0 ? first : undefined)), b.start * cols);
      }
      options.signal?.throwIfAborted();
      return out;
    };
    /** Householder QR on the CPU (float64), the twin's own; throws GpuNumericalError on a non-finite read-back. */
    const basis = (x: Float32Array, rows: number, step: string): Float64Array => {
      try {
        return orthonormalBasis(x, rows, l);
      } catch (err) {
        throw err instanceof NonFiniteMatrixError ? new GpuNumericalError(step) : err;
      }
    };
    const sampleRange = async (step: string): Promise<Float64Array> => {
      const encoder = submit((pass) => blocks.forEach((b) => mm.record(pass, b.a, z, b.y, b.rows, l, n)));
      const q = basis(await readY(l, encoder), m, step);
      const q32 = Float32Array.from(q);
      for (const b of blocks) device.queue.writeBuffer(b.y, 0, q32, b.start * l, b.rows * l);
      return q;
    };

    let q = await sampleRange('A Omega');
    for (let it = 0; it < plan.powerIterations; it++) {
      const encoder = submit((pass) => blocks.forEach((b, i) => mm.record(pass, b.a, b.y, z, n, l, b.rows, { transposeA: true, accumulate: i > 0 })));
      const zq = basis(new Float32Array(await buffers.read(z, n * l * 4, encoder)), n, `power iteration ${it + 1} (A^T Q)`);
      device.queue.writeBuffer(z, 0, Float32Array.from(zq));
      q = await sampleRange(`power iteration ${it + 1} (A Z)`);
    }
    // B = Q^T A (l x n), summed over blocks, then its SVD with the block Jacobi.
    const bBuf = buffers.create('topk-B', l * n * 4, storage());
    const encoder = submit((pass) => blocks.forEach((b, i) => mm.record(pass, b.y, b.a, bBuf, l, n, b.rows, { transposeA: true, accumulate: i > 0 })));
    const bData = new Float32Array(await buffers.read(bBuf, l * n * 4, encoder));
    if (!bData.every(Number.isFinite)) throw new GpuNumericalError('B = Q^T A');
    const small = await gpuSvdJacobi(device, bData, [l, n], { signal: options.signal });

    // U = Q U_B[:, :k] in float64 on the CPU (Q is there already), V = V_B[:, :k], as the CPU twin does.
    const lifted = liftSmallSvd(q, m, small, k);
    const { u, v } = lifted;
    const s = lifted.s.map((x) => x * scale);

    // Residuals r_i = ||A v_i - s_i u_i||: A V on the GPU (into the Y blocks), the rest in float64.
    device.queue.writeBuffer(z, 0, Float32Array.from(v));
    const avEncoder = submit((pass) => blocks.forEach((b) => mm.record(pass, b.a, z, b.y, b.rows, k, n)));
    const av = await readY(k, avEncoder);
    const residuals = tripletResiduals(av, u, s.map((x) => x / scale), m, k).map((x) => x * scale);
    if (!residuals.every(Number.isFinite)) throw new GpuNumericalError('A V');
    return { u, s, v, m, n, r: k, sweeps: small.sweeps, converged: small.converged, plan, residuals };
  } finally {
    buffers.destroy();
  }
}
