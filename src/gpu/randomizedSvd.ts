import { NonFiniteMatrixError } from '../core/svd';
import { CHOLESKY_QR_MAX_STEPS, choleskyQrStepFactor, gramDistanceFromIdentity } from '../core/choleskyQr';
import { DEFAULT_RANDOMIZED_SVD_SEED, gaussianTestMatrix, randomizedSvdPlan, type RandomizedSvd, type RandomizedSvdOptions } from '../core/randomizedSvd';
import { invertUpper } from '../core/triangular';
import { fixSigns } from '../core/svdFinish';
import { BufferSet } from './buffers';
import { MatmulRecorder } from './matmul';
import { gpuSvdJacobi } from './blockJacobi';

/**
 * Top-k SVD on a WebGPU device for matrices too large for a full one: the
 * GPU twin of core/randomizedSvd.ts, step for step. Y = A Omega (l = k + 10
 * columns), two power iterations, CholeskyQR2 after every product (the GPU
 * forms Y^T Y and applies R^{-1}; the CPU factors the l x l Gram matrix in
 * float64), B = Q^T A, then the block Jacobi SVD of the small B and U = Q U_B
 * on the GPU. A is uploaded in row blocks that each fit the device's
 * storage-binding limit, and every product sums over the blocks.
 */

/** Options: those of the CPU twin plus a cap on bytes per storage binding (tests force tiling with it). */
export interface GpuRandomizedSvdOptions extends RandomizedSvdOptions {
  maxBindingBytes?: number;
  signal?: AbortSignal;
}

const FLOAT32_ROUNDOFF = 2 ** -24;
/**
 * ||G - I||_F below which Q counts as orthonormal. The CPU twin stops when a
 * step *meets* G within 0.5 of I and has applied it; here the check comes
 * before applying, so it asks for float32-level orthogonality instead.
 */
const FLOAT32_NEAR_IDENTITY = 1e-4;
/** Usage of work buffers; a function so that importing this module needs no WebGPU globals (Node tests). */
const storage = (): GPUBufferUsageFlags => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rows of A per uploaded block so that one block of `n` float32 columns fits `limitBytes`. */
export function rowsPerBlock(m: number, n: number, limitBytes: number): number {
  return Math.max(1, Math.min(m, Math.floor(limitBytes / (4 * n))));
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
    const mm = await MatmulRecorder.create(device, buffers);
    // A and Y in row blocks: block b holds rows [b * blockRows, ...).
    const blocks: Array<{ rows: number; a: GPUBuffer; y: GPUBuffer; tmp: GPUBuffer }> = [];
    for (let start = 0; start < m; start += blockRows) {
      const rows = Math.min(blockRows, m - start);
      const a = new Float32Array(rows * n);
      for (let i = 0; i < a.length; i++) a[i] = data[start * n + i] / scale;
      blocks.push({
        rows,
        a: buffers.create(`topk-A${blocks.length}`, a.byteLength, storage(), a),
        y: buffers.create(`topk-Y${blocks.length}`, rows * l * 4, storage()),
        tmp: buffers.create(`topk-T${blocks.length}`, rows * l * 4, storage()),
      });
    }
    const omega = Float32Array.from(gaussianTestMatrix(n, l, options.seed ?? DEFAULT_RANDOMIZED_SVD_SEED));
    let z = buffers.create('topk-Z', n * l * 4, storage(), omega);
    let zTmp = buffers.create('topk-Ztmp', n * l * 4, storage());
    const gram = buffers.create('topk-G', l * l * 4, storage());
    const rInv = buffers.create('topk-Rinv', l * l * 4, storage());

    const run = (record: (pass: GPUComputePassEncoder) => void): GPUCommandEncoder => {
      options.signal?.throwIfAborted();
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      record(pass);
      pass.end();
      return encoder;
    };
    const submit = (record: (pass: GPUComputePassEncoder) => void) => device.queue.submit([run(record).finish()]);

    /**
     * CholeskyQR of a tall matrix held in parts (row blocks), as the CPU twin
     * does it: each step forms G = Q^T Q on the GPU, the CPU decides the l x l
     * factor in float64 (choleskyQrStepFactor at float32's unit roundoff:
     * equilibrated, shifted when a pivot is at rounding level) and the GPU
     * applies R^{-1}. Steps repeat until a later step sees G near I (two for
     * a well-conditioned Y). Unlike the twin, a dropped column stays zero
     * rather than being refilled, which would need Q on the CPU.
     */
    const orthonormalize = async (parts: Array<{ rows: number; buf: GPUBuffer; tmp: GPUBuffer }>, totalRows: number) => {
      for (let step = 0; step < CHOLESKY_QR_MAX_STEPS; step++) {
        const encoder = run((pass) => parts.forEach((p, i) => mm.record(pass, p.buf, p.buf, gram, l, l, p.rows, { transposeA: true, accumulate: i > 0 })));
        const g = Float64Array.from(new Float32Array(await buffers.read(gram, l * l * 4, encoder)));
        if (step > 0 && gramDistanceFromIdentity(g, l) <= FLOAT32_NEAR_IDENTITY) return;
        const factor = choleskyQrStepFactor(g, totalRows, l, FLOAT32_ROUNDOFF);
        device.queue.writeBuffer(rInv, 0, Float32Array.from(invertUpper(factor.r, l)));
        submit((pass) => parts.forEach((p) => mm.record(pass, p.buf, rInv, p.tmp, p.rows, l, l)));
        for (const p of parts) [p.buf, p.tmp] = [p.tmp, p.buf];
      }
    };
    const yParts = blocks.map((b) => ({ rows: b.rows, buf: b.y, tmp: b.tmp }));
    const sync = () => yParts.forEach((p, i) => { blocks[i].y = p.buf; blocks[i].tmp = p.tmp; });

    submit((pass) => blocks.forEach((b) => mm.record(pass, b.a, z, b.y, b.rows, l, n)));
    await orthonormalize(yParts, m);
    sync();
    for (let it = 0; it < plan.powerIterations; it++) {
      submit((pass) => blocks.forEach((b, i) => mm.record(pass, b.a, b.y, z, n, l, b.rows, { transposeA: true, accumulate: i > 0 })));
      const zParts = [{ rows: n, buf: z, tmp: zTmp }];
      await orthonormalize(zParts, n);
      [z, zTmp] = [zParts[0].buf, zParts[0].tmp];
      submit((pass) => blocks.forEach((b) => mm.record(pass, b.a, z, b.y, b.rows, l, n)));
      await orthonormalize(yParts, m);
      sync();
    }
    // B = Q^T A (l x n), summed over blocks, then its exact SVD with the block Jacobi.
    const bBuf = buffers.create('topk-B', l * n * 4, storage());
    const encoder = run((pass) => blocks.forEach((b, i) => mm.record(pass, b.y, b.a, bBuf, l, n, b.rows, { transposeA: true, accumulate: i > 0 })));
    const bData = new Float32Array(await buffers.read(bBuf, l * n * 4, encoder));
    const small = await gpuSvdJacobi(device, bData, [l, n], { signal: options.signal });

    // U = Q U_B[:, :k] on the GPU, block by block.
    const ub = new Float32Array(l * k);
    for (let i = 0; i < l; i++) for (let j = 0; j < k; j++) ub[i * k + j] = small.u[i * l + j];
    const ubBuf = buffers.create('topk-UB', ub.byteLength, storage(), ub);
    const u = new Float64Array(m * k);
    let row = 0;
    for (const b of blocks) {
      const out = buffers.create('topk-U', b.rows * k * 4, storage());
      const enc = run((pass) => mm.record(pass, b.y, ubBuf, out, b.rows, k, l));
      u.set(new Float32Array(await buffers.read(out, b.rows * k * 4, enc)), row * k);
      row += b.rows;
    }
    const v = new Float64Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) v[i * k + j] = small.v[i * l + j];
    const s = small.s.slice(0, k).map((x) => x * scale);
    fixSigns(u, m, v, n, k);
    return { u, s, v, m, n, r: k, sweeps: small.sweeps, converged: small.converged, plan };
  } finally {
    buffers.destroy();
  }
}
