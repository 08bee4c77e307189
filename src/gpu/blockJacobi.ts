import type { Svd } from '../core/svd';
import { applyQ, householderQrPivotedInPlace, type PivotedQr } from '../core/householderQr';
import { blockLayout, pairTable } from '../core/jacobiSchedule';
import { columnMajorWork, completeOrthonormalColumns, fixSigns } from '../core/svdFinish';
import { BlockJacobiRoundProgram, JacobiSweepEndProgram, JACOBI_BLOCK, JACOBI_PARAMS_BYTES, jacobiParams } from './blockJacobiProgram';
import { BufferSet } from './buffers';
import { getPipeline } from './pipelines';

/**
 * Thin SVD on a WebGPU device by block one-sided Jacobi (float32), QR
 * preconditioned as the CPU svdJacobi is (Drmac and Veselic): the tall work
 * matrix T (A or A^T, p x q) is factored T P = Q R by the float64
 * column-pivoted Householder QR on the CPU, and the GPU sweeps run on the
 * q x q R^T, whose graded rows (pivoting) let Jacobi converge in about as
 * many sweeps as on the CPU: 5 on the row-graded 160 x 96 test matrices of
 * condition 1e8 and 1e14 (the CPU takes 6), where sweeps on T itself took
 * 15 and 20. The columns of R^T are cut
 * into blocks of 16, a round-robin pairs the blocks, and each round
 * orthogonalizes all its block pairs in parallel (one workgroup each, see
 * blockJacobiProgram.ts). Many sweeps of rounds go into one submission; the
 * CPU reads back a few bytes of convergence history per submission and the
 * factors once at the end, then forms U = Q J in float64, normalizes,
 * completes, sorts and fixes signs exactly as svdJacobi does. The QR and
 * Q J cost about 4 p q^2 flops on the CPU (784 x 512: about 0.8 GFlop).
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
  /** QR preconditioning (default true); false sweeps on T itself, for tests that compare the two. */
  precondition?: boolean;
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
  const { work, p, q, transposed, scale } = columnMajorWork(data, shape, (len) => new Float64Array(len));
  const qr = options.precondition === false ? null : householderQrPivotedInPlace(work, p, q);
  // The columns the sweeps orthogonalize: those of R^T (q x q) after the QR, else of T.
  const rows = qr ? q : p;
  const sweepWork = new Float32Array(rows * q);
  if (qr) {
    for (let i = 0; i < q; i++) for (let k = i; k < q; k++) sweepWork[i * q + k] = work[k * p + i];
  } else {
    sweepWork.set(work);
  }
  const layout = blockLayout(q, JACOBI_BLOCK);
  const cols = layout.paddedColumns;
  const tolerance = options.tolerance ?? 16 * Math.sqrt(rows) * 2 ** -24;
  const maxSweeps = options.maxSweeps ?? 40;
  const innerSweeps = options.innerSweeps ?? 4;

  const buffers = new BufferSet(device);
  try {
    const wInit = new Float32Array(rows * cols);
    wInit.set(sweepWork);
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
        jacobiParams(rows, q, round, layout.pairsPerRound, tolerance, innerSweeps));
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
    return assemble(new Float32Array(wOut), new Float32Array(vOut), qr, { m, n, p, q, transposed, scale, sweeps, converged });
  } finally {
    buffers.destroy();
  }
}

interface Shape {
  m: number; n: number; p: number; q: number; transposed: boolean; scale: number; sweeps: number; converged: boolean;
}

/**
 * Orthogonal columns (W and the rotations J, column-major, first q columns
 * real) -> sorted thin SVD of A. Without QR, W has p rows: T = X S J^T. With
 * T P = Q R and R^T J = X S (W q x q): T = (Q J) S (P X)^T.
 */
function assemble(w: Float32Array, vw: Float32Array, qr: PivotedQr | null, sh: Shape): Svd {
  const { m, n, p, q, transposed, scale } = sh;
  const rows = qr ? q : p;
  const x = new Float64Array(rows * q);
  const rotations = new Float64Array(q * q);
  const sigma = new Float64Array(q);
  const zero = new Uint8Array(q);
  for (let c = 0; c < q; c++) {
    let normSq = 0;
    for (let k = 0; k < rows; k++) normSq += w[c * rows + k] * w[c * rows + k];
    for (let k = 0; k < q; k++) rotations[c * q + k] = vw[c * q + k];
    if (!(normSq > 1e-60)) {
      zero[c] = 1;
      continue;
    }
    const norm = Math.sqrt(normSq);
    sigma[c] = norm * scale;
    for (let k = 0; k < rows; k++) x[c * rows + k] = w[c * rows + k] / norm;
  }
  completeOrthonormalColumns(x, rows, q, zero);
  // left: p x q column-major singular vectors of T; right: q x q, row i for T's column i.
  let left: Float64Array;
  const right = new Float64Array(q * q);
  if (qr) {
    left = new Float64Array(p * q);
    for (let c = 0; c < q; c++) left.set(rotations.subarray(c * q, (c + 1) * q), c * p);
    applyQ(qr, left, q);
    for (let c = 0; c < q; c++) for (let k = 0; k < q; k++) right[c * q + qr.perm[k]] = x[c * q + k];
  } else {
    left = x;
    right.set(rotations);
  }
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
