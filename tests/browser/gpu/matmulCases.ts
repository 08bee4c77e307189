import { BufferSet, liveGpuBuffers } from '../../../src/gpu/buffers';
import { MatmulRecorder } from '../../../src/gpu/matmul';
import { gaussianMatrix } from '../../core/reference';

/**
 * The WGSL product program on its own: C = op(A) op(B) (+ C) for odd sizes
 * (not multiples of the 64 x 64 tile or the 16-wide k slice), with and
 * without A transposed and accumulation, against the float64 product of
 * the same float32 inputs. The error is reported relative to
 * max_ij (|op(A)| |op(B)|)_ij, the scale float32 rounding works at.
 */

export interface MatmulCaseResult {
  name: string;
  /** max_ij |C_gpu - C_f64| / max_ij (|op(A)| |op(B)|)_ij. */
  relativeError: number;
  liveBuffers: number;
}

interface MatmulCase { M: number; N: number; K: number; transposeA: boolean; accumulate: boolean }

const CASES: MatmulCase[] = [
  { M: 1, N: 1, K: 1, transposeA: false, accumulate: false },
  { M: 67, N: 45, K: 131, transposeA: false, accumulate: false },
  { M: 2000, N: 48, K: 33, transposeA: false, accumulate: false },
  { M: 130, N: 65, K: 17, transposeA: true, accumulate: false },
  { M: 65, N: 3, K: 200, transposeA: true, accumulate: false },
  { M: 67, N: 45, K: 131, transposeA: false, accumulate: true },
  { M: 200, N: 48, K: 515, transposeA: true, accumulate: true },
];

/** Element (i, j) of op(X) for X stored row-major with `cols` columns. */
const at = (x: Float32Array, cols: number, transposed: boolean, i: number, j: number) => (transposed ? x[j * cols + i] : x[i * cols + j]);

export async function runMatmulCases(device: GPUDevice): Promise<MatmulCaseResult[]> {
  const out: MatmulCaseResult[] = [];
  for (const [index, c] of CASES.entries()) {
    const { M, N, K, transposeA, accumulate } = c;
    const a = Float32Array.from(gaussianMatrix(transposeA ? K : M, transposeA ? M : K, 100 + index));
    const b = Float32Array.from(gaussianMatrix(K, N, 200 + index));
    const c0 = Float32Array.from(gaussianMatrix(M, N, 300 + index));
    const aCols = transposeA ? M : K;
    const buffers = new BufferSet(device);
    let gpu: Float32Array;
    try {
      const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
      const aBuf = buffers.create('mm-A', a.byteLength, usage, a);
      const bBuf = buffers.create('mm-B', b.byteLength, usage, b);
      const cBuf = buffers.create('mm-C', M * N * 4, usage, accumulate ? c0 : undefined);
      const mm = await MatmulRecorder.create(device, buffers, [{ transposeA, accumulate }]);
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      mm.record(pass, aBuf, bBuf, cBuf, M, N, K, { transposeA, accumulate });
      pass.end();
      gpu = new Float32Array(await buffers.read(cBuf, M * N * 4, encoder));
    } finally {
      buffers.destroy();
    }
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let exact = accumulate ? c0[i * N + j] : 0;
        let magnitude = accumulate ? Math.abs(c0[i * N + j]) : 0;
        for (let k = 0; k < K; k++) {
          const x = at(a, aCols, transposeA, i, k) * b[k * N + j];
          exact += x;
          magnitude += Math.abs(x);
        }
        worst = Math.max(worst, Math.abs(gpu[i * N + j] - exact));
        scale = Math.max(scale, magnitude);
      }
    }
    out.push({
      name: `${M}x${K} by ${K}x${N}${transposeA ? ', A transposed' : ''}${accumulate ? ', accumulating' : ''}`,
      relativeError: worst / scale,
      liveBuffers: liveGpuBuffers(),
    });
  }
  return out;
}
