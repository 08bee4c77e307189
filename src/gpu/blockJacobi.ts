import type { Svd } from '../core/svd';
import { blockLayout, pairTable } from '../core/jacobiSchedule';
import { columnMajorWork, completeOrthonormalColumns, fixSigns } from '../core/svdFinish';
import { BlockJacobiRoundProgram, JacobiSweepEndProgram, JACOBI_BLOCK, JACOBI_PARAMS_BYTES, jacobiParams } from './blockJacobiProgram';
import { BufferSet } from './buffers';
import { getPipeline } from './pipelines';

/**
 * Thin SVD on a WebGPU device by block one-sided Jacobi (float32): the
 * columns of the tall work matrix (A or A^T) are cut into blocks of 16, a
 * round-robin pairs the blocks, and each round orthogonalizes all its block
 * pairs in parallel (one workgroup each, see blockJacobiProgram.ts). Many
 * sweeps of rounds go into one submission; the CPU reads back a few bytes of
 * convergence history per submission and the factors once at the end, then
 * normalizes, completes, sorts and fixes signs exactly as svdJacobi does.
 */

/** Options of gpuSvdJacobi; the defaults suit float32 and the lab's kernel sizes. */
export interface GpuSvdOptions {
  /** Largest |cos| between two final columns; default 16 * sqrt(rows) * 2^-24. */
  tolerance?: number;
  maxSweeps?: number;
  /** Jacobi sweeps over each 32 x 32 Gram matrix per round. */
  innerSweeps?: number;
  /** Sweeps in the first submission (later ones hold 4). */
  firstBatch?: number;
  onSweep?: (sweeps: number, offDiagonal: number) => void;
  signal?: AbortSignal;
}

/** Usage of work buffers; a function so that importing this module needs no WebGPU globals (Node tests). */
const storage = (): GPUBufferUsageFlags => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * SVD of row-major m x n `data` on `device`. Returns the same Svd shape as
 * svdJacobi (float64 arrays holding float32-accurate values). Creates and
 * destroys its own buffers; throws NonFiniteMatrixError for NaN/Inf input.
 */
export async function gpuSvdJacobi(
  device: GPUDevice,
  data: Float32Array | Float64Array,
  shape: readonly [number, number],
  options: GpuSvdOptions = {},
): Promise<Svd> {
  const [m, n] = shape;
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 1 || n < 1 || data.length !== m * n) {
    throw new RangeError(`gpuSvdJacobi needs a non-empty m x n matrix with m*n entries, got shape [${m}, ${n}] and ${data.length} entries.`);
  }
  const { work, p, q, transposed, scale } = columnMajorWork(data, shape, (len) => new Float32Array(len));
  const layout = blockLayout(q, JACOBI_BLOCK);
  const cols = layout.paddedColumns;
  const tolerance = options.tolerance ?? 16 * Math.sqrt(p) * 2 ** -24;
  const maxSweeps = options.maxSweeps ?? 40;
  const innerSweeps = options.innerSweeps ?? 4;

  const buffers = new BufferSet(device);
  try {
    const wInit = new Float32Array(p * cols);
    wInit.set(work);
    const vInit = new Float32Array(q * cols);
    for (let j = 0; j < q; j++) vInit[j * q + j] = 1;
    const wBuf = buffers.create('jacobi-W', wInit.byteLength, storage(), wInit);
    const vBuf = buffers.create('jacobi-V', vInit.byteLength, storage(), vInit);
    const pairs = buffers.create('jacobi-pairs', layout.rounds * layout.pairsPerRound * 8, storage(), pairTable(layout));
    const roundMax = buffers.create('jacobi-roundMax', layout.rounds * 4, storage(), new Uint32Array(layout.rounds));
    const historyInit = new Uint32Array(maxSweeps + 2);
    historyInit[maxSweeps + 1] = new Uint32Array(Float32Array.of(tolerance).buffer)[0];
    const history = buffers.create('jacobi-history', historyInit.byteLength, storage(), historyInit);

    const [roundPipeline, endPipeline] = await Promise.all([
      getPipeline(device, new BlockJacobiRoundProgram()),
      getPipeline(device, new JacobiSweepEndProgram()),
    ]);
    const roundGroups = Array.from({ length: layout.rounds }, (_, round) => {
      const params = buffers.create(`jacobi-params-${round}`, JACOBI_PARAMS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        jacobiParams(p, q, round, layout.pairsPerRound, tolerance, innerSweeps));
      return device.createBindGroup({
        layout: roundPipeline.getBindGroupLayout(0),
        entries: [wBuf, vBuf, pairs, roundMax, history, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
    });
    const endGroup = device.createBindGroup({
      layout: endPipeline.getBindGroupLayout(0),
      entries: [roundMax, history].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });

    let encoded = 0;
    let sweeps = 0;
    let converged = false;
    while (encoded < maxSweeps && !converged) {
      options.signal?.throwIfAborted();
      const batch = Math.min(encoded === 0 ? options.firstBatch ?? 8 : 4, maxSweeps - encoded);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      for (let s = 0; s < batch; s++) {
        pass.setPipeline(roundPipeline);
        for (let round = 0; round < layout.rounds; round++) {
          pass.setBindGroup(0, roundGroups[round]);
          pass.dispatchWorkgroups(layout.pairsPerRound);
        }
        pass.setPipeline(endPipeline);
        pass.setBindGroup(0, endGroup);
        pass.dispatchWorkgroups(1);
      }
      pass.end();
      encoded += batch;
      const hist = new Uint32Array(await buffers.read(history, historyInit.byteLength, encoder));
      const values = new Float32Array(hist.buffer);
      for (let s = sweeps; s < hist[0]; s++) options.onSweep?.(s + 1, values[s + 1]);
      sweeps = hist[0];
      converged = sweeps > 0 && values[sweeps] <= tolerance;
    }

    const [wOut, vOut] = await Promise.all([
      buffers.read(wBuf, wInit.byteLength),
      buffers.read(vBuf, vInit.byteLength),
    ]);
    return assemble(new Float32Array(wOut), new Float32Array(vOut), { m, n, p, q, transposed, scale, sweeps, converged });
  } finally {
    buffers.destroy();
  }
}

interface Shape {
  m: number; n: number; p: number; q: number; transposed: boolean; scale: number; sweeps: number; converged: boolean;
}

/** Orthogonal columns (W: p rows, V: q rows, column-major, first q columns real) -> sorted thin SVD of A. */
function assemble(w: Float32Array, vw: Float32Array, sh: Shape): Svd {
  const { m, n, p, q, transposed, scale } = sh;
  const left = new Float64Array(p * q);
  const right = new Float64Array(q * q);
  const sigma = new Float64Array(q);
  const zero = new Uint8Array(q);
  for (let c = 0; c < q; c++) {
    let normSq = 0;
    for (let k = 0; k < p; k++) normSq += w[c * p + k] * w[c * p + k];
    for (let k = 0; k < q; k++) right[c * q + k] = vw[c * q + k];
    if (!(normSq > 1e-60)) {
      zero[c] = 1;
      continue;
    }
    const norm = Math.sqrt(normSq);
    sigma[c] = norm * scale;
    for (let k = 0; k < p; k++) left[c * p + k] = w[c * p + k] / norm;
  }
  completeOrthonormalColumns(left, p, q, zero);
  const order = Array.from({ length: q }, (_, c) => c).sort((a, b) => sigma[b] - sigma[a]);
  const leftOut = new Float64Array(p * q);
  const rightOut = new Float64Array(q * q);
  const s = new Float64Array(q);
  order.forEach((src, c) => {
    s[c] = sigma[src];
    for (let row = 0; row < p; row++) leftOut[row * q + c] = left[src * p + row];
    for (let row = 0; row < q; row++) rightOut[row * q + c] = right[src * q + row];
  });
  const u = transposed ? rightOut : leftOut;
  const v = transposed ? leftOut : rightOut;
  fixSigns(u, m, v, n, q);
  return { u, s, v, m, n, r: q, sweeps: sh.sweeps, converged: sh.converged };
}
